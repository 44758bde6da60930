//! kubeward-risk: the entity graph and ranked attack paths (under construction).
