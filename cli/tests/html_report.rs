//! The report page (`--html DIR`) as a person sees it: headless Chromium (Debian's
//! `chromium`, installed by scripts/ensure-deps.sh test) opens the one file offline, and
//! what it shows holds the failing run's violation, the drawn excerpt of its signals with
//! the transactions above them, the replay command, and links to the waveform and its save
//! file; the page fetches nothing. Also the pages of `dirql check --html` and `dirql explore
//! --html` (failing seeds by rule, the shrunk schedule).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod child_guard;
use child_guard::KillOnDrop;

fn dirql(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dirql")).args(args).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "dirql {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The file `dirql` said it wrote that ends in `.html`.
fn page_of(stdout: &str) -> PathBuf {
    stdout.lines().filter_map(|l| l.strip_prefix("wrote: ")).find(|l| l.ends_with(".html")).map(PathBuf::from).unwrap()
}

/// Headless Chromium with nothing of its own going out (no sync, no updates, no
/// background requests) and a fresh profile; `what` is `--dump-dom` or
/// `--screenshot=FILE`. Returns its stdout.
fn chromium(page: &Path, what: &str, profile: &Path) -> String {
    let exe = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            Command::new("sh").args(["-c", &format!("command -v {c}")]).output().is_ok_and(|o| o.status.success())
        })
        .expect("chromium is missing: run scripts/ensure-deps.sh test (Debian package chromium)");
    // Into a file: the DOM is larger than a pipe holds while the child is waited for.
    let dump = profile.with_extension("out");
    let child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(what)
        .arg(format!("file://{}", std::fs::canonicalize(page).unwrap().display()))
        .stdout(std::fs::File::create(&dump).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = KillOnDrop::new(child).wait_bounded(Duration::from_secs(90));
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(&dump).unwrap()
}

/// The text a person reads in `dom` (tags dropped, entities undone).
fn text(dom: &str) -> String {
    let mut t = String::new();
    let mut inside = false;
    for c in dom.chars() {
        match c {
            '<' => inside = true,
            '>' => {
                inside = false;
                t.push(' ');
            }
            c if !inside => t.push(c),
            _ => {}
        }
    }
    let t =
        t.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Fetches nothing: no script, no style sheet, frame, image or font from anywhere; every
/// `http` is the SVG namespace.
fn assert_self_contained(html: &str) {
    for bad in ["<script", "<link", "<iframe", "<img", "src=", "@import", "url("] {
        assert!(!html.contains(bad), "the page holds {bad}");
    }
    assert_eq!(html.matches("http").count(), html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count());
}

#[test]
fn the_failing_runs_page_shows_the_violation_its_excerpt_and_the_replay() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("waves/ms.vcd");
    let report = dir.path().join("report");
    let (code, out) = dirql(&[
        "run",
        "mode-set",
        "--driver",
        "unsync-crtc",
        "--seed",
        "1",
        "--vcd",
        vcd.to_str().unwrap(),
        "--html",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    let page = page_of(&out);
    assert_eq!(page, report.join("mode-set-unsync-crtc-seed1.html"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    let dom = chromium(&page, "--dump-dom", &dir.path().join("chromium"));
    let seen = text(&dom);
    // The verdict, and the rules as the text report judged them.
    assert!(seen.contains("verdict: FAIL"), "{seen}");
    assert!(seen.contains("sync-isolation FAIL 454 1") || seen.contains("sync-isolation FAIL"), "{seen}");
    // The violation's message, as the text report prints it.
    let msg = "CPU0 StartIO wrote I/O port 3D4h CRTC index at cycle 199, a register the ISR also uses, without the interrupt lock";
    assert!(seen.contains(msg), "{seen}");
    assert!(out.contains(msg), "the same message as the text report");
    // Its excerpt: an svg drawing its signals around cycle 199, the marker on it, and the
    // transaction there (StartIO's write of the CRTC index) in the rows above.
    let at = dom.find("aria-label=\"sync-isolation at cycle 199\"").expect("the excerpt's svg");
    let start = dom[..at].rfind("<svg").unwrap();
    let svg = &dom[start..start + dom[start..].find("</svg>").unwrap()];
    for s in ["lock_owner", "cpu0_routine", "sync-isolation @ cycle 199", "transaction", "StartIO", "CRTC index"] {
        assert!(svg.contains(s), "the excerpt shows {s}: {svg}");
    }
    assert!(svg.matches("<polygon").count() + svg.matches("<polyline").count() >= 7, "its signals are drawn");
    // The command that replays it, and the files it links (relative, so they move together).
    assert!(seen.contains(&format!("replay: dirql run mode-set --driver unsync-crtc --seed 1 --vcd {}", vcd.display())));
    assert!(dom.contains("href=\"../waves/ms.vcd\"") && dom.contains("href=\"../waves/ms.gtkw\""), "{dom}");
    // The timing histograms.
    assert!(seen.contains("VBLANK interrupt timing"), "{seen}");
    // And it renders: a screenshot of the size asked for.
    let png = dir.path().join("page.png");
    chromium(&page, &format!("--screenshot={}", png.display()), &dir.path().join("chromium"));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    let (w, h) =
        (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1400, 2400));
}

#[test]
fn check_and_explore_write_their_pages() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("ms.vcd");
    dirql(&["run", "mode-set", "--driver", "unsync-crtc", "--cycles", "3000", "--vcd", vcd.to_str().unwrap()]);
    let (code, out) = dirql(&["check", vcd.to_str().unwrap(), "--html", dir.path().join("c").to_str().unwrap()]);
    assert_eq!(code, 1);
    let html = std::fs::read_to_string(page_of(&out)).unwrap();
    assert_self_contained(&html);
    let seen = text(&html);
    assert!(seen.contains("sync-isolation @ cycle 199"), "{seen}");
    assert!(
        seen.contains(&format!(
            "replay: dirql run mode-set --driver unsync-crtc --seed 1 --cycles 3000 --vcd {}",
            vcd.display()
        )),
        "the run the manifest names: {seen}"
    );

    let (code, out) = dirql(&[
        "explore",
        "mode-set",
        "--driver",
        "unsync-crtc",
        "--seeds",
        "3",
        "--jobs",
        "1",
        "--cycles",
        "3000",
        "--replay-dir",
        dir.path().join("replay").to_str().unwrap(),
        "--html",
        dir.path().join("e").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let page = page_of(&out);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    let dom = chromium(&page, "--dump-dom", &dir.path().join("chromium"));
    let seen = text(&dom);
    assert!(seen.contains("failing seeds 3"), "{seen}");
    assert!(
        seen.contains("Failing seeds by rule rule failing seeds sync-isolation 3") || seen.contains("sync-isolation 3"),
        "{seen}"
    );
    assert!(seen.contains("shrunk schedule"), "{seen}");
    assert!(seen.contains("replay: dirql run mode-set --driver unsync-crtc --seed 1"), "{seen}");
    assert!(dom.contains("aria-label=\"sync-isolation at cycle 199\""), "the replay's violation drawn");
    assert!(dom.contains(".gtkw\""), "the replay's save file linked: {dom}");
}
