//! The host as kubeward sees it: a root directory (the host's `/`, or where it is mounted)
//! and a proc directory (the host's `/proc`: with `hostPID` a container's own `/proc` shows
//! the host's processes).

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub struct Host {
    pub root: PathBuf,
    pub proc: PathBuf,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Host {
    /// A host rooted at `root`; processes from `proc` (default `<root>/proc`). User and group
    /// names come from the host's `/etc/passwd` and `/etc/group`, not the ones of the
    /// container kubeward runs in.
    pub fn new(root: &Path, proc: Option<&Path>) -> Host {
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
        Host {
            root: root.to_path_buf(),
            proc: proc.map_or_else(|| root.join("proc"), Path::to_path_buf),
            users: parse_id_file(&read("etc/passwd")),
            groups: parse_id_file(&read("etc/group")),
        }
    }

    /// Where a host path (`/etc/kubernetes/admin.conf`) is under the root. A relative path is
    /// taken from the host's `/`, as the components run from there.
    pub fn resolve(&self, host_path: &str) -> PathBuf {
        self.root.join(host_path.trim_start_matches('/'))
    }

    /// `root:root`, or the numeric IDs when the host does not name them (ID 0 is root on
    /// every Linux host, passwd or not).
    pub fn owner(&self, meta: &std::fs::Metadata) -> String {
        let name = |map: &HashMap<u32, String>, id: u32| match map.get(&id) {
            Some(n) => n.clone(),
            None if id == 0 => "root".to_string(),
            None => id.to_string(),
        };
        format!(
            "{}:{}",
            name(&self.users, meta.uid()),
            name(&self.groups, meta.gid())
        )
    }

    pub fn stat(&self, host_path: &str) -> io::Result<std::fs::Metadata> {
        std::fs::metadata(self.resolve(host_path))
    }
}

/// `name:x:id:...` lines of /etc/passwd and /etc/group: id to name, the first name of an ID
/// winning as getpwuid(3) has it. Hand-written: the crates that read these files read the
/// running system's database through libc, not a file under another root.
pub fn parse_id_file(text: &str) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split(':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if let (false, Ok(id)) = (name.is_empty(), id.parse::<u32>()) {
            out.entry(id).or_insert_with(|| name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn passwd_lines() {
        let m = parse_id_file(
            "root:x:0:0:root:/root:/bin/bash\n# comment\n\nbad line\netcd:x:998:998::/var/lib/etcd:/sbin/nologin\ntoor:x:0:0::/:/bin/sh\n:x:5:5\nn:x:notanumber:1\n",
        );
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&998).map(String::as_str), Some("etcd"));
        assert_eq!(m.len(), 2);
    }

    proptest! {
        /// Any text parses without panicking, and every line of the form `name:x:id` is read.
        #[test]
        fn id_files(lines in proptest::collection::vec(("[a-z_][a-z0-9_-]{0,8}", 0u32..70000, ".{0,20}"), 0..20), noise in ".{0,80}") {
            let mut text = String::new();
            for (name, id, rest) in &lines {
                text.push_str(&format!("{name}:x:{id}:{}\n", rest.replace('\n', " ")));
            }
            text.push_str(&noise);
            let m = parse_id_file(&text);
            for (_, id, _) in &lines {
                let first = lines.iter().find(|(_, i, _)| i == id).unwrap();
                prop_assert_eq!(m.get(id), Some(&first.0));
            }
        }
    }
}
