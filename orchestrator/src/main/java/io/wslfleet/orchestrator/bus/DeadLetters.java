package io.wslfleet.orchestrator.bus;

import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.RejectReason;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.jboss.logging.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Sends what could not be processed to {@code fleet.dead-letter}, synchronously, before its offset is committed. */
@ApplicationScoped
public class DeadLetters {
    private static final Logger LOG = Logger.getLogger(DeadLetters.class);
    private static final String CONSUMER = "orchestrator";

    @Inject
    Producer<String, byte[]> producer;

    private final AtomicLong count = new AtomicLong();

    public void send(ConsumerRecord<String, byte[]> record, RejectReason reason, String detail) {
        LOG.warnf("dead-lettering %s-%d@%d: %s %s", record.topic(), record.partition(), record.offset(), reason, detail);
        try {
            producer.send(EventCodec.deadLetter(record, reason, detail, CONSUMER)).get(30, TimeUnit.SECONDS);
            count.incrementAndGet();
        } catch (Exception e) {
            // Not acknowledged: let the consumer fail the record so it is not committed and comes back.
            throw new IllegalStateException("dead-letter publish failed", e);
        }
    }

    public long count() {
        return count.get();
    }
}
