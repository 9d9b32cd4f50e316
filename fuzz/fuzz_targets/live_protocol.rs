//! Every byte a watcher's client sends over the live socket is untrusted.
//!
//! Checks, for arbitrary bytes:
//! - `live::protocol::decode_all` and `read_frame` (in a loop over a reader) never panic,
//!   and agree: the same frames in the same order; where `decode_all` refuses the buffer,
//!   `read_frame` fails too; where it stops at an incomplete frame, `read_frame` ends or
//!   fails there;
//! - every frame re-encodes (`write_frame`) to the bytes it came from;
//! - for every frame, `live::server::to_message`, `Frame::parse::<Hello>()` (and the other
//!   JSON payloads) and `Frame::text` never panic; a `MARK` becomes a marker only when its
//!   text is valid UTF-8.

#![no_main]

use breakglass::live::FromWatcher;
use breakglass::live::protocol::{
    Ended, Hello, MAX_FRAME, MAX_MARKER, State, Welcome, decode_all, kind, read_frame, write_frame,
};
use breakglass::live::server::to_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = decode_all(data);

    let mut reader = data;
    let mut frames = Vec::new();
    let read_error = loop {
        match read_frame(&mut reader) {
            Ok(Some(f)) => frames.push(f),
            Ok(None) => break false,
            Err(_) => break true,
        }
        assert!(frames.len() <= data.len() / 5, "more frames than bytes allow");
    };

    match &decoded {
        Ok((all, used)) => {
            assert!(*used <= data.len());
            assert_eq!(&frames, all, "read_frame and decode_all disagree");
            // The rest is an incomplete frame: a partial length ends the stream, a
            // partial body is an error.
            let rest = data.len() - used;
            assert_eq!(read_error, rest >= 4, "{rest} bytes left after the last frame");
            let mut encoded = Vec::new();
            for f in all {
                assert!(f.payload.len() < MAX_FRAME);
                write_frame(&mut encoded, f.kind, &f.payload).expect("frame within limits");
            }
            assert_eq!(encoded, data[..*used], "frames do not re-encode to their bytes");
        }
        Err(_) => {
            assert!(read_error, "decode_all refused what read_frame read to the end");
        }
    }

    for f in &frames {
        let msg = to_message(f);
        let _ = f.parse::<Hello>();
        let _ = f.parse::<Welcome>();
        let _ = f.parse::<State>();
        let _ = f.parse::<Ended>();
        let text = f.text();
        if f.kind == kind::MARK {
            match (&msg, &text) {
                (Some(FromWatcher::Mark(m)), Ok(t)) => {
                    assert_eq!(m, t);
                    assert!(!m.trim().is_empty() && m.len() <= MAX_MARKER);
                }
                (Some(FromWatcher::Mark(_)), Err(_)) => panic!("marker from non-UTF-8 bytes"),
                _ => {}
            }
        }
        if let Some(FromWatcher::Input(bytes)) = &msg {
            assert_eq!(f.kind, kind::INPUT);
            assert_eq!(bytes, &f.payload);
        }
    }
});
