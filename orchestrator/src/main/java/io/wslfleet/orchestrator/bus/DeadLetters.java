package io.wslfleet.orchestrator.bus;

import io.micrometer.core.instrument.MeterRegistry;
import io.wslfleet.protocol.Backoff;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.RejectReason;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends what could not be processed to {@code fleet.dead-letter}, synchronously, before its offset is committed, and
 * counts it in {@code fleet_dead_letters_total{topic,reason}}. Should the dead-letter topic itself be unreachable (the
 * broker away: an infrastructure failure, not the record's), it keeps trying with backoff, holding its partition
 * rather than losing the record or failing the channel.
 */
@ApplicationScoped
public class DeadLetters {
    private static final Logger LOG = Logger.getLogger(DeadLetters.class);
    private static final String CONSUMER = "orchestrator";

    @Inject
    Producer<String, byte[]> producer;
    @Inject
    MeterRegistry registry;

    private final AtomicLong count = new AtomicLong();

    public void send(ConsumerRecord<String, byte[]> record, RejectReason reason, String detail) {
        LOG.warnf("dead-lettering %s-%d@%d: %s %s", record.topic(), record.partition(), record.offset(), reason, detail);
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
        while (true) {
            try {
                producer.send(EventCodec.deadLetter(record, reason, detail, CONSUMER)).get(30, TimeUnit.SECONDS);
                count.incrementAndGet();
                registry.counter("fleet.dead.letters", "topic", record.topic(), "reason", reason.name()).increment();
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while dead-lettering", e);
            } catch (Exception e) {
                Duration wait = backoff.next();
                LOG.errorf("cannot publish to the dead-letter topic (%s), try %d; again in %d ms", e.getMessage(),
                        backoff.failures(), wait.toMillis());
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while dead-lettering", interrupted);
                }
            }
        }
    }

    public long count() {
        return count.get();
    }
}
