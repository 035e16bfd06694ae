package io.wslfleet.orchestrator.support;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.DistroInfo;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.security.KeyPair;
import java.util.List;
import java.util.Map;

/**
 * One agent's identity as a real agent has it: its own Ed25519 key pair, every event signed with it (key id = the
 * fingerprint), source {@code urn:wsl-fleet:agent:<id>}, registrations carrying the public key and, when given one, an
 * enrolment token.
 */
public final class TestAgent {
    public final String id;
    public final KeyPair keys;
    public final Signer signer;
    private long sequence;

    public TestAgent(String id) {
        this(id, Ed25519.generate());
    }

    public TestAgent(String id, KeyPair keys) {
        this.id = id;
        this.keys = keys;
        this.signer = Signer.ofPair(keys);
    }

    public String source() {
        return "urn:wsl-fleet:agent:" + id;
    }

    public String publicKey() {
        return Ed25519.encode(keys.getPublic());
    }

    public synchronized long next() {
        return ++sequence;
    }

    /** A registration with this agent's key and the token (or none), numbered next. */
    public AgentRegistered registration(Map<String, String> labels, List<DistroInfo> distros, String token) {
        String[] parts = id.split("/");
        return new AgentRegistered(id, 0, next(), "sim", new Inventory(parts[0], parts[1], parts[0].toUpperCase(),
                "10.0.26100", "2.4.11.0", "5.15.167.4-1", 50L << 30, labels, distros)).withIdentity(publicKey(), token);
    }

    /** The event as this agent puts it on the bus: its source, signed with its key. */
    public ProducerRecord<String, byte[]> record(AgentEvent event) {
        return RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(source(), event)), signer);
    }

    public void send(AgentEvent event) {
        TestBus.send(record(event));
    }

    /** Registers with the suite's enrolment token: admitted at once. */
    public TestAgent enrol(Map<String, String> labels, List<DistroInfo> distros) {
        send(registration(labels, distros, Fixtures.enrolmentToken()));
        return this;
    }
}
