//! kubeward-netpol: NetworkPolicy and Service reachability (under construction).
