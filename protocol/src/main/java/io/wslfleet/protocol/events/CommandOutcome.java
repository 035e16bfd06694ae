package io.wslfleet.protocol.events;

/** How a command ended on the machine. */
public enum CommandOutcome {
    /** Done and verified healthy. */
    SUCCEEDED,
    /** Refused before anything changed (bad signature, checksum mismatch, no disk, name taken, deadline passed). */
    REFUSED,
    /** Failed; the machine is on a working generation (or the distro was never installed). */
    FAILED,
    /** The new generation failed verification and the agent went back to the previous one by itself. */
    ROLLED_BACK,
    /** A rollback (commanded or automatic) did not reach a healthy generation: needs a person. */
    ROLLBACK_FAILED
}
