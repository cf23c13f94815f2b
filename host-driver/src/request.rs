//! What the OS traces of the requests it hands a miniport (a VIDEO_REQUEST_PACKET to
//! HwVidStartIO): driver note kind 4 (docs/contracts.md §3), set by the OS model on the CPU
//! of the thread that issued the request, from the moment it is issued until it completes,
//! then left showing the completion (with its status) until that CPU's next request. The
//! miniport's own notes (kinds 1 and 2) cover it while they last and restore it.
//!
//! From it, rule `request-completion` judges from the waveform alone that every request
//! completes, within the device's bound, and with success unless its caller said it may
//! fail: a driver that refuses, skips or never finishes what it was asked (a fence never
//! completed, a mode never set) has done harm though every interrupt was served.

/// Driver note kind 4: an OS request.
pub const NOTE_REQUEST: u32 = 4 << 28;

const DONE: u32 = 1 << 23;
const MAY_FAIL: u32 = 1 << 22;
/// The slot of the device whose driver the request was for ([21]): in a two-slot run each
/// device's `request-completion` judges its own.
const SLOT1: u32 = 1 << 21;
const STATUS_MASK: u32 = (1 << 21) - 1;
const FUNCTION_MASK: u32 = 0xFFF;

/// One request note, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestNote {
    /// The request's number, as the OS issued them, modulo 16 ([27:24]).
    pub seq: u8,
    /// Its caller accepts a failure status ([22]): it is no harm then.
    pub may_fail: bool,
    /// The bus slot of the device it was for ([21]).
    pub slot: u8,
    /// In progress: the control code's function (CTL_CODE bits 13:2, [11:0]); completed:
    /// its status ([20:0], saturated; 0 = success).
    pub state: RequestState,
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestState {
    /// Issued, not completed.
    Pending {
        /// The control code's function.
        function: u16,
    },
    /// Completed.
    Done {
        /// Its status (0: success; saturated at [`STATUS_SATURATED`]).
        status: u32,
    },
}

/// The largest status a note holds: a larger one shows as this.
pub const STATUS_SATURATED: u32 = STATUS_MASK;

impl RequestNote {
    /// The note of request `seq` to the device in `slot`, issued with control code `ioctl`.
    pub fn pending(seq: u64, ioctl: u32, may_fail: bool, slot: u8) -> u32 {
        Self::head(seq, may_fail, slot) | (ioctl >> 2) & FUNCTION_MASK
    }

    /// The note of request `seq` to the device in `slot`, completed with `status`.
    pub fn done(seq: u64, status: u32, may_fail: bool, slot: u8) -> u32 {
        Self::head(seq, may_fail, slot) | DONE | status.min(STATUS_MASK)
    }

    fn head(seq: u64, may_fail: bool, slot: u8) -> u32 {
        NOTE_REQUEST
            | ((seq & 0xF) as u32) << 24
            | if may_fail { MAY_FAIL } else { 0 }
            | if slot != 0 { SLOT1 } else { 0 }
    }

    /// `note` decoded, when it is a request note.
    pub fn decode(note: u32) -> Option<Self> {
        if note & 0xF000_0000 != NOTE_REQUEST {
            return None;
        }
        let state = if note & DONE != 0 {
            RequestState::Done { status: note & STATUS_MASK }
        } else {
            RequestState::Pending { function: (note & FUNCTION_MASK) as u16 }
        };
        Some(RequestNote {
            seq: (note >> 24 & 0xF) as u8,
            may_fail: note & MAY_FAIL != 0,
            slot: u8::from(note & SLOT1 != 0),
            state,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip_and_saturate() {
        let p = RequestNote::pending(17, 0x0023_2008, false, 0);
        assert_eq!(
            RequestNote::decode(p),
            Some(RequestNote { seq: 1, may_fail: false, slot: 0, state: RequestState::Pending { function: 0x802 } })
        );
        let d = RequestNote::done(17, 1117, true, 1);
        assert_eq!(
            RequestNote::decode(d),
            Some(RequestNote { seq: 1, may_fail: true, slot: 1, state: RequestState::Done { status: 1117 } })
        );
        let big = RequestNote::decode(RequestNote::done(3, 0xC000_0001, false, 1)).unwrap();
        assert_eq!((big.state, big.slot), (RequestState::Done { status: STATUS_SATURATED }, 1));
        assert_eq!(RequestNote::decode(1 << 28 | 5), None);
        assert_eq!(RequestNote::decode(0), None);
    }
}
