//! Faults and load: SIGKILL of breakglass at random moments under heavy output, and
//! many watchers coming and going. Nothing may read as TAMPERED, lose a byte that was
//! recorded, or leak.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use breakglass::live::protocol::{self, kind};
use common::*;

/// How many random moments to kill at (the issue asks for 200).
const KILLS: usize = 200;

/// At most this share of the rounds may be killed before breakglass wrote a log (while it
/// starts): beyond it the kills mostly miss the recording this test is about. Kills land
/// in the first 150 ms; a debug build writes its log after about 20 ms (12% of rounds
/// without one), about 30 ms on a machine at load 8 (20%).
const MAX_NO_LOG_SHARE: f64 = 0.5;

/// A small deterministic generator, so a failure can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_at_random_moments_never_reads_as_tampered() {
    let env = Env::new();
    let mut rng = Rng(0x9E3779B97F4A7C15);
    // Every line is the same, so any prefix of the output is checkable.
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let mut no_log = 0;
    for round in 0..KILLS {
        let mut child = env
            .cmd()
            .args([
                "shell",
                "-r",
                "kill",
                "--",
                "sh",
                "-c",
                "yes 0123456789abcdefghijklmnopqrstuvwxyz",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % 150_000));
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        child.wait().unwrap();
        let Some(log) = env.logs().pop() else {
            no_log += 1;
            continue;
        };
        let (verdict, _, j) = verify_file(&log);
        assert!(
            verdict == "INTERRUPTED" || verdict == "VERIFIED",
            "round {round}: {verdict} {j}"
        );
        let out = output_bytes(&log);
        let whole = out.len() - out.len() % line.len();
        assert!(
            out[..whole].chunks(line.len()).all(|c| c == line),
            "round {round}: output is not what was printed"
        );
        assert!(
            line.starts_with(&out[whole..]),
            "round {round}: the tail is not a prefix of a line"
        );
        // It replays (to a pipe: the raw output, exactly what was recorded).
        let rep = env
            .cmd()
            .args(["replay"])
            .arg(&log)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(rep.status.code(), Some(0), "round {round}");
        assert_eq!(
            rep.stdout, out,
            "round {round}: replay differs from the log"
        );
        std::fs::remove_file(&log).unwrap();
        let _ = std::fs::remove_file(
            env.dir()
                .join("live")
                .join(log.with_extension("sock").file_name().unwrap()),
        );
    }
    eprintln!("{no_log} of {KILLS} rounds were killed before a log was written");
    assert!(
        no_log as f64 <= MAX_NO_LOG_SHARE * KILLS as f64,
        "{no_log} of {KILLS} rounds were killed before a log was written (at most {:.0}% may be)",
        MAX_NO_LOG_SHARE * 100.0
    );
}

#[test]
fn sixty_four_watchers_and_a_thousand_attaches_leak_nothing() {
    let env = Env::new();
    let mut owner = env.spawn(&["shell", "-r", "churn", "--", "sh", "-c", "echo re''ady; read x; i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; read y"]);
    owner.expect("ready");
    let id = session_id(&env);
    let pid = owner.pid();
    drop(live_client(&env, &id, "watch"));
    let base = waits::baseline_after_a_client(&env, pid);
    let crowd: Vec<_> = (0..64).map(|_| live_client(&env, &id, "watch")).collect();
    assert!(
        crowd.iter().all(|(_, f)| f.kind == kind::WELCOME),
        "64 watchers admitted"
    );
    let (_, over) = live_client(&env, &id, "watch");
    assert_eq!(over.kind, kind::DENIED, "the 65th is refused");
    drop(crowd);
    // Wait until all 64 are gone before the churn starts (they hold the 64 places).
    let start = Instant::now();
    let leaves = || {
        common::records(&env.log()).iter().filter(|r| matches!(&r.body, breakglass::log::record::Body::Participant(p) if p.event == "leave")).count()
    };
    while leaves() < 65 {
        assert!(start.elapsed() < DEADLINE, "the crowd did not leave");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Their places are freed as their writer threads finish.
    let t0 = Instant::now();
    loop {
        let (_s, f) = live_client(&env, &id, "watch");
        if f.kind == kind::WELCOME {
            break;
        }
        assert!(t0.elapsed() < DEADLINE, "places were never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let churners: Vec<_> = (0..4)
        .map(|_| {
            let sock = env.dir().join("live").join(format!("{id}.sock"));
            std::thread::spawn(move || {
                for _ in 0..250 {
                    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
                    s.set_read_timeout(Some(DEADLINE)).unwrap();
                    let hello = br#"{"v":1,"mode":"watch"}"#;
                    protocol::write_frame(&mut s, kind::HELLO, hello).unwrap();
                    match protocol::read_frame(&mut s) {
                        Ok(Some(f)) if f.kind == kind::WELCOME => {
                            let _ = protocol::write_frame(&mut s, kind::DETACH, b"");
                            waits::read_until_closed(&mut s);
                        }
                        other => panic!("unexpected answer {other:?}"),
                    }
                }
            })
        })
        .collect();
    // Output flows while they come and go.
    owner.send("go\r");
    for c in churners {
        c.join().unwrap();
    }
    owner.expect("line2999");
    wait_until_no_leak(pid, base);
    owner.send("\r");
    assert_eq!(owner.wait().code(), Some(0));
    let out = String::from_utf8(output_bytes(&env.log())).unwrap();
    assert!(
        (0..3000).all(|i| out.contains(&format!("line{i}\r\n"))),
        "output intact"
    );
    assert_verdict(&env.log(), "VERIFIED");
}
