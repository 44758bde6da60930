//! Gathering owned facts from every object during the scan's single pass, for the analyses
//! that need all objects at once (NetworkPolicy reachability, the risk graph). Reading the
//! input a second time for them would double a large scan's time; instead each unit of work
//! (a window of documents on one worker) fills its own collection, which the result carries to
//! the front door, where the collections are merged in input order.

use std::any::Any;
use std::sync::Arc;

use kubeward_model::Object;

/// Makes one empty collection per unit of work.
pub trait Gather: Send + Sync {
    fn start(&self) -> Box<dyn Gathered>;
}

/// One unit's collection: what it keeps of each object it is shown.
pub trait Gathered: Send {
    /// Called for every object evaluated (not for objects left to their owner).
    fn add(&mut self, object: &Object<'_>, file: &Arc<str>);
    /// For the front door to take its concrete type back.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl std::fmt::Debug for dyn Gathered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gathered")
    }
}
