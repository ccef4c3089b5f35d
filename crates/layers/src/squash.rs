//! The squashed view: layers applied in order with whiteouts and opaque dirs.

use std::collections::BTreeMap;

use crate::read::LayerContents;

/// A file in the squashed view and the layer it came from.
#[derive(Debug, Clone)]
pub struct SquashedFile {
    /// Content.
    pub data: Vec<u8>,
    /// Index of the layer (0 = base) that last wrote it.
    pub layer: usize,
}

#[derive(Debug, Clone)]
enum Node {
    File(SquashedFile),
    Symlink(String),
}

/// The merged file system of an image, restricted to the kept files.
#[derive(Debug, Default, Clone)]
pub struct FileSystem {
    nodes: BTreeMap<String, Node>,
    /// Problems found while squashing or resolving (symlink loops...).
    pub warnings: Vec<String>,
}

fn remove_tree(nodes: &mut BTreeMap<String, Node>, path: &str, include_self: bool) {
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let doomed: Vec<String> = nodes
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        nodes.remove(&k);
    }
    if include_self {
        nodes.remove(path);
    }
}

impl FileSystem {
    /// Squashes layers, base first.
    pub fn squash<'a>(layers: impl IntoIterator<Item = &'a LayerContents>) -> Self {
        let mut fs = FileSystem::default();
        for (i, layer) in layers.into_iter().enumerate() {
            fs.apply(i, layer);
        }
        fs
    }

    /// Applies one more layer on top. Deletions in a layer only hit lower
    /// layers, whatever their order inside the tar.
    pub fn apply(&mut self, index: usize, layer: &LayerContents) {
        for d in &layer.opaque_dirs {
            remove_tree(&mut self.nodes, d, false);
        }
        for w in &layer.whiteouts {
            remove_tree(&mut self.nodes, w, true);
        }
        for (p, t) in &layer.symlinks {
            remove_tree(&mut self.nodes, p, false);
            self.nodes.insert(p.clone(), Node::Symlink(t.clone()));
        }
        for (p, d) in &layer.files {
            self.nodes.insert(
                p.clone(),
                Node::File(SquashedFile {
                    data: d.clone(),
                    layer: index,
                }),
            );
        }
        self.warnings.extend(layer.warnings.iter().cloned());
    }

    /// Resolves `path` through symlinks (in any component) to a normalised path.
    ///
    /// Errors on loops (more than 40 hops, as Linux) and on escapes above `/`,
    /// which are clamped at the root like the kernel does for chroots.
    pub fn resolve(&self, path: &str) -> Result<String, String> {
        let mut hops = 0;
        let mut todo: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect();
        todo.reverse();
        let mut done: Vec<String> = Vec::new();
        while let Some(c) = todo.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            if c == "." || c.is_empty() {
                continue;
            }
            done.push(c);
            let cur = done.join("/");
            if let Some(Node::Symlink(t)) = self.nodes.get(&cur) {
                hops += 1;
                if hops > 40 {
                    return Err(format!(
                        "/{path}: too many levels of symbolic links (loop?)"
                    ));
                }
                done.pop();
                if t.starts_with('/') {
                    done.clear();
                }
                for part in t.split('/').rev() {
                    if !part.is_empty() && part != "." {
                        todo.push(part.to_string());
                    }
                }
            }
        }
        Ok(done.join("/"))
    }

    /// The file at `path` (absolute or relative), following symlinks.
    pub fn get(&self, path: &str) -> Option<&SquashedFile> {
        let p = self.resolve(path).ok()?;
        match self.nodes.get(&p)? {
            Node::File(f) => Some(f),
            Node::Symlink(_) => None,
        }
    }

    /// Like [`get`](Self::get) but reports a symlink problem instead of hiding it.
    pub fn lookup(&self, path: &str) -> Result<Option<&SquashedFile>, String> {
        let p = self.resolve(path)?;
        Ok(match self.nodes.get(&p) {
            Some(Node::File(f)) => Some(f),
            _ => None,
        })
    }

    /// Kept regular files (not following symlinks), in path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &SquashedFile)> {
        self.nodes.iter().filter_map(|(k, v)| match v {
            Node::File(f) => Some((k.as_str(), f)),
            Node::Symlink(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(
        files: &[(&str, &str)],
        wh: &[&str],
        opq: &[&str],
        links: &[(&str, &str)],
    ) -> LayerContents {
        LayerContents {
            files: files
                .iter()
                .map(|(p, d)| (p.to_string(), d.as_bytes().to_vec()))
                .collect(),
            symlinks: links
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            whiteouts: wh.iter().map(|s| s.to_string()).collect(),
            opaque_dirs: opq.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn whiteout_and_opaque() {
        let l0 = layer(
            &[("app/a/x", "1"), ("app/b", "2"), ("keep", "k")],
            &[],
            &[],
            &[],
        );
        let l1 = layer(&[("app/a/y", "3")], &["app/b"], &["app/a"], &[]);
        let fs = FileSystem::squash([&l0, &l1]);
        assert!(
            fs.get("app/a/x").is_none(),
            "opaque dir hides lower content"
        );
        assert_eq!(fs.get("/app/a/y").unwrap().data, b"3");
        assert_eq!(fs.get("app/a/y").unwrap().layer, 1);
        assert!(fs.get("app/b").is_none());
        assert_eq!(fs.get("keep").unwrap().layer, 0);
    }

    #[test]
    fn symlinks_resolve_and_loops_fail() {
        let l0 = layer(
            &[("usr/lib/os-release", "ID=x")],
            &[],
            &[],
            &[
                ("etc/os-release", "../usr/lib/os-release"),
                ("a", "b"),
                ("b", "a"),
                ("lib", "/usr/lib"),
            ],
        );
        let fs = FileSystem::squash([&l0]);
        assert_eq!(fs.get("/etc/os-release").unwrap().data, b"ID=x");
        assert_eq!(fs.get("/lib/os-release").unwrap().data, b"ID=x");
        assert!(fs.lookup("a").is_err());
        assert!(fs.get("a").is_none());
    }
}
