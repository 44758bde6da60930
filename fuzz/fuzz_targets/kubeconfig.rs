//! kubeconfig text to cluster targets: kube's `Kubeconfig::from_yaml` (multi-document
//! merge), then kubeward-cluster's `targets_in` (context selection: the current context,
//! each named context, `--all-contexts`; building each client: CA and client certificate
//! data, tokens, TLS settings). Exec plugins, auth providers and file paths are removed
//! first: they run commands and read files, which a fuzzer must not do.
//! Invariants: a selection that succeeds names only contexts the file has, in the order
//! asked; no error message quotes a token, password or key (credential canaries).
#![no_main]

use kube::config::Kubeconfig;
use kubeward_cluster::{targets_in, ConnectOptions};
use kubeward_fuzz::{assert_no_canary, text_of};
use libfuzzer_sys::fuzz_target;

fn sanitize(k: &mut Kubeconfig) {
    for c in &mut k.clusters {
        if let Some(c) = &mut c.cluster {
            c.certificate_authority = None;
            c.proxy_url = None;
        }
    }
    for a in &mut k.auth_infos {
        if let Some(a) = &mut a.auth_info {
            a.exec = None;
            a.auth_provider = None;
            a.token_file = None;
            a.client_certificate = None;
            a.client_key = None;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let mut kubeconfig = match Kubeconfig::from_yaml(&text) {
        Ok(k) => k,
        Err(_) => return,
    };
    sanitize(&mut kubeconfig);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut choices = vec![
        ConnectOptions::default(),
        ConnectOptions {
            all_contexts: true,
            ..ConnectOptions::default()
        },
    ];
    for c in kubeconfig.contexts.iter().take(2) {
        choices.push(ConnectOptions {
            context: Some(c.name.clone()),
            ..ConnectOptions::default()
        });
    }
    choices.push(ConnectOptions {
        context: Some("no-such-context".to_string()),
        ..ConnectOptions::default()
    });
    for opts in choices {
        let result = runtime.block_on(targets_in(kubeconfig.clone(), &opts));
        match result {
            Ok(targets) => {
                assert!(!targets.is_empty(), "success selects at least one context");
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                for t in &targets {
                    assert!(
                        known.contains(&t.context.as_str()),
                        "an unknown context was selected"
                    );
                    if let Err(e) = &t.client {
                        assert_no_canary(&text, "a client error", e);
                    }
                }
                if opts.all_contexts {
                    assert_eq!(targets.len(), known.len());
                } else if let Some(c) = &opts.context {
                    assert_eq!(&targets[0].context, c);
                }
            }
            Err(e) => {
                assert!(!e.is_empty());
                assert_no_canary(&text, "a kubeconfig error", &e);
            }
        }
    }
});
