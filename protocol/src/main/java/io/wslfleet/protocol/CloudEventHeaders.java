package io.wslfleet.protocol;

/** CloudEvents 1.0 Kafka binary-mode header names, plus the dead-letter headers this project adds. */
public final class CloudEventHeaders {
    public static final String ID = "ce_id";
    public static final String TYPE = "ce_type";
    public static final String SOURCE = "ce_source";
    public static final String SPEC_VERSION = "ce_specversion";
    public static final String TIME = "ce_time";
    public static final String SUBJECT = "ce_subject";
    public static final String DATA_SCHEMA = "ce_dataschema";
    /** datacontenttype maps to the Kafka header {@code content-type} in binary mode. */
    public static final String CONTENT_TYPE = "content-type";

    public static final String SPEC_VERSION_1_0 = "1.0";
    public static final String JSON = "application/json";

    /** Why a record went to the dead-letter topic: a {@link RejectReason} name. */
    public static final String DLQ_REASON = "dlq_reason";
    /** A human-readable detail of the rejection. */
    public static final String DLQ_DETAIL = "dlq_detail";
    public static final String DLQ_ORIGIN_TOPIC = "dlq_origin_topic";
    public static final String DLQ_ORIGIN_PARTITION = "dlq_origin_partition";
    public static final String DLQ_ORIGIN_OFFSET = "dlq_origin_offset";
    /** Present when the copy was cut: the size of the original value. */
    public static final String DLQ_TRUNCATED = "dlq_truncated";
    /** Which program rejected it (orchestrator, build-worker, agent id). */
    public static final String DLQ_CONSUMER = "dlq_consumer";

    private CloudEventHeaders() {
    }
}
