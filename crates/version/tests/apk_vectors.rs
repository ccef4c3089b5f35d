//! apk-tools' own version test vectors, plus every real version in the Alpine
//! secdb and minirootfs data checked for validity.

use std::cmp::Ordering;

use drydock_version::apk;

#[test]
fn apk_tools_version_data() {
    let data = include_str!("data/apk-version.data");
    let mut n = 0;
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [a, op, b] = parts[..] else {
            panic!("bad vector line {line:?}")
        };
        let want = match op {
            "<" => Ordering::Less,
            ">" => Ordering::Greater,
            "=" => Ordering::Equal,
            _ => panic!("bad op in {line:?}"),
        };
        assert_eq!(apk::compare_lenient(a, b), want, "{line}");
        assert_eq!(
            apk::compare_lenient(b, a),
            want.reverse(),
            "{line} (swapped)"
        );
        n += 1;
    }
    assert!(n > 600, "only {n} vectors read");
}
