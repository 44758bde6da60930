//! Issue 13, D11: memory taken by one evaluation, measured by a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kubeward_webhook::policy::{Decider, StaticNamespaces};
use kubeward_webhook::{review, WebhookConfig};

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            let now = NOW.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new > l.size() {
                let now = NOW.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                NOW.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The campaign's Pod with `n` one-character args (args-350k-1.4MiB.json is n = 350,000).
pub fn args_review(n: usize) -> Vec<u8> {
    let mut s = String::from(
        r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"ae398f52-5483-4852-9284-2de9f4a7eb95","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"default","operation":"CREATE","name":"priv","userInfo":{"username":"alice","groups":["system:authenticated"]},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"priv","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{},"args":["#,
    );
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str("\"a\"");
    }
    s.push_str("]}]}}}}");
    s.into_bytes()
}

/// Peak bytes allocated while one request is decided (beyond what was allocated before).
fn peak_of(decider: &Decider, body: &[u8]) -> (usize, bool) {
    let req = review::decode(body).unwrap();
    let before = NOW.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let outcome = decider.decide(&req);
    (
        PEAK.load(Ordering::SeqCst) - before,
        outcome.response.allowed,
    )
}

/// One evaluation at the value budget takes at most ~450 bytes per value (the figure the
/// budget is sized with, docs/serve.md); an object over the budget is refused before any
/// parser runs, for next to nothing. Before the budget, the campaign's 350,000-arg Pod took
/// 125 MB of heap here (357 bytes a value), 3 MiB of args 251 MB.
#[test]
fn evaluation_memory_is_bounded_by_the_value_budget() {
    use kubeward_webhook::policy::DEFAULT_MAX_VALUES;
    let decider = Decider::new(
        WebhookConfig::default(),
        Arc::new(StaticNamespaces(Default::default())),
    );
    let over = args_review(350_000);
    let req = review::decode(&over).unwrap();
    let before = NOW.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let outcome = decider.decide(&req);
    let peak = PEAK.load(Ordering::SeqCst) - before;
    assert!(!outcome.response.allowed, "onError: deny");
    let message = &outcome.response.status.as_ref().unwrap().message;
    assert!(message.contains("too large to evaluate"), "{message}");
    assert!(message.contains("--max-object-values"), "{message}");
    assert!(peak < 1 << 20, "refused for {peak} bytes");

    // The envelope and the Pod around the args hold a few dozen values.
    let at = args_review(DEFAULT_MAX_VALUES - 100);
    let (peak, allowed) = peak_of(&decider, &at);
    eprintln!(
        "{} bytes at the budget: peak {peak} bytes ({:.0} B/value)",
        at.len(),
        peak as f64 / DEFAULT_MAX_VALUES as f64
    );
    assert!(allowed);
    assert!(
        peak > (DEFAULT_MAX_VALUES * 100),
        "measured something: {peak}"
    );
    assert!(peak < DEFAULT_MAX_VALUES * 450, "{peak} bytes");
}
