package io.wslfleet.protocol;

/** Why an incoming record cannot be processed. Every one of these is fatal: the record goes to the dead-letter topic. */
public enum RejectReason {
    /** A required ce_* header is missing or not CloudEvents 1.0. */
    MISSING_HEADER,
    /** ce_type names no event this version knows. */
    UNKNOWN_TYPE,
    /** The data is not JSON, or not the shape the type requires. */
    MALFORMED_DATA,
    /** The data parsed but breaks a rule of the contract (a missing id, a negative size). */
    INVALID_DATA,
    /** Well-formed, but the consumer could not apply it after its retries (kept here rather than blocking the partition). */
    PROCESSING_FAILED
}
