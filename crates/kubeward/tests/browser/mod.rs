//! A headless Chromium for the HTML report's tests (`html_report.rs`, and the image page in
//! `image_cli.rs`): Debian's chromium driven over the DevTools protocol (headless_chrome), the
//! page's console, exceptions and requests recorded from the browser's own events.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Network, Page};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

/// Where screenshots and the pages under test go: `target/tmp/html-report/`.
pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBEWARD_CHROMIUM") {
        return p.into();
    }
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).is_file() {
            return p.into();
        }
    }
    panic!(
        "chromium is missing: `apt-get install chromium` (.ci/run does), or set KUBEWARD_CHROMIUM"
    );
}

/// What the browser said while the page was open.
#[derive(Default, Debug)]
pub struct Seen {
    /// Console errors and warnings, log entries of level error, uncaught exceptions.
    pub errors: Vec<String>,
    /// Every request the page made (URL).
    pub requests: Vec<String>,
}

pub struct Session {
    pub browser: Browser,
}

pub struct Opened {
    pub tab: Arc<Tab>,
    pub seen: Arc<Mutex<Seen>>,
    pub url: String,
    /// From navigation to the page's first view drawn.
    pub first_view: Duration,
    /// When the navigation started.
    pub started: Instant,
}

impl Session {
    pub fn start() -> Session {
        let options = LaunchOptions {
            path: Some(chromium()),
            // Root in CI, where chromium's sandbox cannot start.
            sandbox: false,
            window_size: Some((1366, 900)),
            idle_browser_timeout: Duration::from_secs(300),
            ..LaunchOptions::default()
        };
        Session {
            browser: Browser::new(options).expect("start chromium"),
        }
    }

    /// Open `file` in a new tab with the Log, Runtime and Network domains listened to, and
    /// wait until the page says it is drawn.
    pub fn open(&self, file: &Path) -> Opened {
        let tab = self.browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(120));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let s = Arc::clone(&seen);
        tab.add_event_listener(Arc::new(move |e: &Event| {
            let mut s = s.lock().unwrap();
            match e {
                Event::LogEntryAdded(l) => {
                    use headless_chrome::protocol::cdp::Log::LogEntryLevel;
                    if matches!(l.params.entry.level, LogEntryLevel::Error | LogEntryLevel::Warning) {
                        s.errors.push(format!("log: {}", l.params.entry.text));
                    }
                }
                Event::RuntimeConsoleAPICalled(c) => {
                    use headless_chrome::protocol::cdp::Runtime::ConsoleAPICalledEventTypeOption as T;
                    if matches!(c.params.Type, T::Error | T::Warning | T::Assert) {
                        s.errors.push(format!("console: {:?}", c.params.args));
                    }
                }
                Event::RuntimeExceptionThrown(x) => {
                    s.errors.push(format!("exception: {:?}", x.params.exception_details));
                }
                Event::NetworkRequestWillBeSent(r) => {
                    s.requests.push(r.params.request.url.clone());
                }
                _ => {}
            }
        }))
        .unwrap();
        tab.enable_log().unwrap();
        tab.enable_runtime().unwrap();
        tab.call_method(Network::Enable {
            max_total_buffer_size: None,
            max_resource_buffer_size: None,
            max_post_data_size: None,
            report_direct_socket_traffic: None,
            enable_durable_messages: None,
        })
        .unwrap();
        let url = format!("file://{}", file.canonicalize().unwrap().display());
        let started = Instant::now();
        tab.navigate_to(&url).unwrap();
        let deadline = started + Duration::from_secs(120);
        loop {
            let ready = eval(&tab, "document.body && document.body.dataset.ready || ''");
            if ready == "1" {
                break;
            }
            assert!(
                ready != "error",
                "{url}: the page says {}",
                eval(&tab, "document.getElementById('app').textContent")
            );
            assert!(Instant::now() < deadline, "{url}: not drawn in 120 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        let first_view = started.elapsed();
        Opened {
            tab,
            seen,
            url,
            first_view,
            started,
        }
    }
}

pub fn eval(tab: &Tab, js: &str) -> Value {
    let r = tab
        .evaluate(
            &format!("JSON.stringify((() => {{ return {js}; }})())"),
            false,
        )
        .unwrap_or_else(|e| panic!("{js}: {e}"));
    match r.value {
        Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

impl Opened {
    /// No console error, no exception, and no request but the page's own file.
    pub fn assert_clean(&self) {
        let s = self.seen.lock().unwrap();
        assert!(s.errors.is_empty(), "{}: {:?}", self.url, s.errors);
        let others: Vec<_> = s.requests.iter().filter(|u| **u != self.url).collect();
        assert!(others.is_empty(), "{}: requests {others:?}", self.url);
    }

    pub fn eval(&self, js: &str) -> Value {
        eval(&self.tab, js)
    }

    pub fn visible(&self) -> u64 {
        self.eval("kubewardReport.visible()").as_u64().unwrap()
    }

    /// Set a filter control and let the page redraw.
    pub fn filter(&self, key: &str, value: &str) {
        let event = if matches!(key, "q" | "file") {
            "input"
        } else {
            "change"
        };
        self.eval(&format!(
            "(() => {{ const e = document.querySelector('[data-filter={key}]'); e.value = {}; e.dispatchEvent(new Event('{event}')); return 1; }})()",
            serde_json::to_string(value).unwrap()
        ));
        // The text fields wait 200 ms for more typing.
        std::thread::sleep(Duration::from_millis(if event == "input" {
            400
        } else {
            50
        }));
    }

    /// The cells of the table's rows on screen.
    pub fn cells(&self) -> Vec<Vec<String>> {
        serde_json::from_value(self.eval(
            "[...document.querySelectorAll('table.findings tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))",
        ))
        .unwrap()
    }

    /// Emulate a media type (`print`, or `None` for the screen) and a colour scheme.
    pub fn emulate(&self, media: Option<&str>, scheme: &str) {
        self.tab
            .call_method(Emulation::SetEmulatedMedia {
                media: Some(media.unwrap_or("").to_string()),
                features: Some(vec![Emulation::MediaFeature {
                    name: "prefers-color-scheme".into(),
                    value: scheme.into(),
                }]),
            })
            .unwrap();
    }

    /// Text on screen whose contrast with its background is below WCAG 2 AA (4.5:1, or 3:1
    /// for large text: 24px, or 18.66px bold), worked out from the computed colours: the
    /// text's colour against the first opaque background of it or an ancestor; and how many
    /// elements with text were checked.
    pub fn contrast_failures(&self) -> (Vec<String>, u64) {
        let checked = self.eval("(() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); const s = new Set(); for (let n = w.nextNode(); n; n = w.nextNode()) if (n.textContent.trim() && n.parentElement.getClientRects().length && !n.parentElement.closest('svg, script, noscript')) s.add(n.parentElement); return s.size; })()");
        let failures = serde_json::from_value(self.eval(
            r#"(() => {
  const rgb = (s) => { const m = /rgba?\(([^)]+)\)/.exec(s); if (!m) return null; const p = m[1].split(',').map(parseFloat); return { c: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; };
  const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = (e) => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a >= 1) return c.c; } return null; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || seen.has(e) || e.closest('svg, script, noscript')) continue;
    seen.add(e);
    if (!e.getClientRects().length) continue;
    const st = getComputedStyle(e);
    if (st.visibility === 'hidden') continue;
    const fg = rgb(st.color), back = bg(e);
    if (!fg || !back) { out.push('no colour: ' + e.tagName + ' ' + n.textContent.slice(0, 40)); continue; }
    const a = lum(fg.c), b = lum(back);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    if (ratio < need) out.push(ratio.toFixed(2) + ' < ' + need + ': ' + e.tagName + '.' + e.className + ' ' + st.color + ' on rgb(' + back + '): ' + n.textContent.trim().slice(0, 40));
  }
  return out;
})()"#,
        ))
        .unwrap();
        (failures, checked.as_u64().unwrap())
    }

    pub fn screenshot(&self, name: &str, selector: Option<&str>) {
        if let Some(sel) = selector {
            self.eval(&format!(
                "(document.querySelector('{sel}').scrollIntoView(), 1)"
            ));
        }
        let png = self
            .tab
            .capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
            .unwrap();
        std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
    }
}
