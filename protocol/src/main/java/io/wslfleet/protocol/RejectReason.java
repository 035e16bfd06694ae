package io.wslfleet.protocol;

/**
 * Why an incoming record was not applied: the {@code dlq_reason} header of its copy on {@code fleet.dead-letter}.
 * Every one of these is final: the record is set aside at once and its partition moves on. The README's table of
 * dead-letter reasons says what each means for an operator; a test keeps the two in step.
 */
public enum RejectReason {
    /** A required header ({@code ce_id}, {@code ce_source}, {@code ce_type}, {@code ce_time}, {@code ce_specversion}) is absent. */
    MISSING_HEADER("a required ce_* header is absent", "fix the producer: it does not speak the contract"),
    /** A header is present but malformed: not UTF-8, empty, too long, repeated, or not of its form. */
    INVALID_HEADER("a ce_* header is malformed: not UTF-8, empty, too long, repeated, not a URI or not RFC 3339, "
            + "specversion not 1.0, content type not JSON", "fix the producer"),
    /** {@code ce_type} names no event this version knows, or one that does not travel on this topic. */
    UNKNOWN_TYPE("ce_type is unknown, or not an event of this topic",
            "a newer producer than this consumer (upgrade the consumer) or a record on the wrong topic"),
    /** {@code ce_time} lies further in the past or the future than the configured skew allows. */
    TIME_OUT_OF_RANGE("ce_time is further from now than the allowed skew",
            "check the producer's clock (NTP); raise fleet.contract.max-past/max-future only for machines long offline"),
    /** The record key is missing, or is not the event's subject (agent id, build id, release id). */
    KEY_MISMATCH("the record key is missing or is not the event's subject",
            "a forged or broken producer: the key decides the partition, and so the order"),
    /** The record (key, headers and value) is larger than the configured limit. */
    RECORD_TOO_LARGE("the record is larger than fleet.contract.max-record-bytes",
            "find what the producer put in it; no event of the contract needs that much"),
    /** The data is not JSON, or not of the shape the type requires (wrong JSON types included). */
    MALFORMED_DATA("the data is not JSON or not of the type's shape (a string where an integer belongs, …)",
            "fix the producer"),
    /** The data parsed but breaks a rule of the contract: an id against its grammar, a name too long, a bad path. */
    INVALID_DATA("the data breaks a rule of the contract (an id against its grammar, a bound, a missing field)",
            "fix the producer; the detail header names the field"),
    /** An agent event's sequence lies implausibly far beyond the last one applied in the same epoch. */
    SEQUENCE_JUMP("an agent event's sequence jumps further ahead than fleet.contract.max-sequence-jump",
            "a forged or corrupted event; the agent's next genuine events are applied as usual"),
    /** A release whose manifest does not verify with a trusted build key, or whose claims are not the manifest's. */
    UNTRUSTED_RELEASE("a release whose signed manifest does not verify with a trusted build key, whose claims "
            + "(sha256, size, version, system) are not the manifest's, or whose download URL is not under an allowed base",
            "a forgery or a build worker with an untrusted key: check fleet.trust.build-keys and the worker's key"),
    /** A release id already cataloged with other content: a release id never changes content. */
    RELEASE_CONFLICT("a release id already cataloged with other content", "a forgery or a rebuilt version: "
            + "publish changed content under a new version"),
    /** Not signed, signed with a key the consumer does not trust for this producer, or a signature that does not verify. */
    UNAUTHENTICATED("the record is unsigned, signed with a key not trusted for its producer, or its signature does not "
            + "verify", "a forgery, a producer with a key not (yet) trusted, or a machine that was re-keyed: see the "
            + "trust table in the README"),
    /** Signed by a machine, but about another one: the key, ce_source or an agent id in the data is not the signer's. */
    IDENTITY_MISMATCH("signed by one machine's key but naming another machine in its key, ce_source or data",
            "a hostile or broken workstation: check the machine named by dlq_detail, consider revoking it"),
    /** A command progress or result for a command never issued to the machine that sends it, or a command for another agent. */
    NOT_YOUR_COMMAND("a progress or result for a command that was not issued to the sender, or a command addressed "
            + "to another agent", "a hostile or confused workstation; nothing changed"),
    /** From a machine that is not admitted to the fleet: pending, rejected, revoked or decommissioned. */
    NOT_ADMITTED("from a machine not admitted to the fleet (pending, rejected, revoked or decommissioned)",
            "admit it (accept it, or give it an enrolment token) if it is yours; otherwise nothing to do"),
    /** A command id the agent has already seen. */
    REPLAYED("a command whose id the agent has already received", "a replay or a duplicate publish; nothing ran twice"),
    /** A command whose deadline has passed before it arrived. */
    EXPIRED("a command that arrived after its deadline", "the agent was offline past the deadline, or a replay of an "
            + "old command; the orchestrator counts the deployment as timed out and can issue a new command"),
    /** Well-formed, but its effect cannot be stored because of its data (the database refused the values). */
    UNPROCESSABLE("well-formed, but its effect cannot be stored because of its data",
            "report it: the contract should have refused this record at decoding"),
    /** Well-formed, but the consumer could not apply it after its retries (a failure that did not pass). */
    PROCESSING_FAILED("could not be applied after the retries of a passing failure (database, broker)",
            "check the consumer's health and logs; the record can be replayed from the dead-letter topic");

    private final String meaning;
    private final String action;

    RejectReason(String meaning, String action) {
        this.meaning = meaning;
        this.action = action;
    }

    /** What the reason means, for the table of reasons. */
    public String meaning() {
        return meaning;
    }

    /** What an operator does about it. */
    public String action() {
        return action;
    }
}
