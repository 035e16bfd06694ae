package io.wslfleet.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.wslfleet.protocol.Backoff;
import io.wslfleet.protocol.Json;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Every event the agent sends goes through here: written to {@code <state>/outbox/} first, then delivered by one
 * sender thread, strictly in the order written, and deleted once the broker acknowledged it. When the broker is down
 * nothing is lost or reordered, also across a restart of the agent: the files are delivered when it is back. A
 * record may be delivered twice if an acknowledgement is lost; consumers are idempotent by event id. Each record is
 * sealed (the agent signs its events) as it is sent, so a backlog from before the agent signed is signed too.
 */
final class EventOutbox implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EventOutbox.class.getName());

    private final Path dir;
    private final Producer<String, byte[]> producer;
    private final UnaryOperator<ProducerRecord<String, byte[]>> seal;
    private final Thread sender;
    private volatile boolean running = true;
    private long next;

    /** @param seal what a record becomes on its way out: signed, for the agent's own events */
    EventOutbox(Path dir, Producer<String, byte[]> producer, UnaryOperator<ProducerRecord<String, byte[]>> seal) {
        this.dir = dir;
        this.producer = producer;
        this.seal = seal;
        try {
            Files.createDirectories(dir);
            next = pending().stream().mapToLong(EventOutbox::number).max().orElse(0) + 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sender = new Thread(this::deliver, "agent-event-sender");
        sender.setDaemon(true);
        sender.start();
    }

    /** Persists the record; it is delivered as soon as the broker takes it. */
    synchronized void enqueue(ProducerRecord<String, byte[]> record) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("topic", record.topic());
        json.put("key", record.key());
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        json.put("headers", headers);
        json.put("value", Base64.getEncoder().encodeToString(record.value()));
        try {
            Path tmp = dir.resolve(String.format("%020d.tmp", next));
            Files.write(tmp, Json.MAPPER.writeValueAsBytes(json));
            Files.move(tmp, dir.resolve(String.format("%020d.json", next)), StandardCopyOption.ATOMIC_MOVE);
            next++;
            notifyAll();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist an outgoing event in " + dir, e);
        }
    }

    /** Events written but not yet acknowledged by the broker. */
    List<Path> pending() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
    }

    private static long number(Path p) {
        String n = p.getFileName().toString();
        return Long.parseLong(n.substring(0, n.indexOf('.')));
    }

    private void deliver() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15));
        while (running) {
            try {
                List<Path> files = pending();
                if (files.isEmpty()) {
                    synchronized (this) {
                        if (pending().isEmpty() && running) {
                            wait(1000);
                        }
                    }
                    continue;
                }
                for (Path file : files) {
                    if (!running) {
                        return;
                    }
                    try {
                        producer.send(seal.apply(read(file))).get(2, TimeUnit.MINUTES);
                    } catch (ExecutionException e) {
                        if (!isUndeliverable(e.getCause())) {
                            throw e;
                        }
                        // this record can never be delivered: set aside, so it does not hold back every later event
                        Path aside = file.resolveSibling("undeliverable").resolve(file.getFileName());
                        Files.createDirectories(aside.getParent());
                        Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                        LOG.warning("event " + file.getFileName() + " can never be delivered (" + e.getCause()
                                + "): kept in " + aside);
                        continue;
                    }
                    Files.delete(file);
                    backoff.reset();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                Duration wait = backoff.next();
                LOG.log(Level.FINE, "event delivery failed, retrying", e);
                LOG.warning("cannot deliver events yet (" + e.getClass().getSimpleName() + "): retrying in "
                        + wait.toMillis() + " ms");
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Failures of the record itself, which no retry mends (a passing one, like the broker away, is retried). */
    private static boolean isUndeliverable(Throwable failure) {
        return failure instanceof org.apache.kafka.common.errors.RecordTooLargeException
                || failure instanceof org.apache.kafka.common.errors.InvalidTopicException
                || failure instanceof org.apache.kafka.common.errors.SerializationException;
    }

    private static ProducerRecord<String, byte[]> read(Path file) throws IOException {
        JsonNode json = Json.MAPPER.readTree(Files.readAllBytes(file));
        var record = new ProducerRecord<String, byte[]>(json.get("topic").asText(),
                json.get("key").isNull() ? null : json.get("key").asText(),
                Base64.getDecoder().decode(json.get("value").asText()));
        json.get("headers").fields().forEachRemaining(h ->
                record.headers().add(h.getKey(), h.getValue().asText().getBytes(StandardCharsets.UTF_8)));
        return record;
    }

    /** Waits up to {@code timeout} for the backlog to drain (at shutdown), then stops the sender. */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    void close(Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        try {
            while (!pending().isEmpty() && System.nanoTime() < until) {
                Thread.sleep(100);
            }
        } catch (IOException | InterruptedException e) {
            // what is left is delivered at the next start
        }
        running = false;
        sender.interrupt();
        try {
            sender.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
