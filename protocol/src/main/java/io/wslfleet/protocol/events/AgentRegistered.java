package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Registration and inventory: sent at start and whenever the inventory changes. It is also how an agent enrols: it
 * carries the public half of the key pair the agent made at first start (and signs this event, like every other,
 * with its private half), and, when the machine was given one, an enrolment token that admits it at once.
 *
 * @param publicKey       the agent's Ed25519 public key, base64 of its X.509 encoding; its fingerprint
 *                        ({@code TrustedKeys.fingerprint}) is the key id the agent signs with
 * @param enrolmentToken  an enrolment token ({@code <token id>.<secret>}) an admin made, or null: without one the
 *                        machine waits in the pending list for an operator
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentRegistered(String agentId, long epoch, long sequence, String agentVersion, Inventory inventory,
                              String publicKey, String enrolmentToken)
        implements AgentEvent {
    /** The longest public key (44 bytes of X.509 are 60 characters of base64; room for other encodings). */
    public static final int MAX_PUBLIC_KEY_CHARS = 512;
    public static final int MAX_TOKEN_CHARS = 256;

    public AgentRegistered {
        AgentId.check(agentId, "agentId");
        AgentEvent.checkEpoch(epoch);
        AgentEvent.checkSequence(sequence);
        Require.name(agentVersion, "agentVersion", 64);
        Require.nonNull(inventory, "inventory");
        if (!agentId.equals(AgentId.of(inventory.machineId(), inventory.windowsUser()))) {
            throw new IllegalArgumentException("inventory names " + inventory.machineId() + "/"
                    + inventory.windowsUser() + ", not the agent " + agentId);
        }
        if (publicKey != null) {
            Require.name(publicKey, "publicKey", MAX_PUBLIC_KEY_CHARS);
        }
        if (enrolmentToken != null) {
            Require.name(enrolmentToken, "enrolmentToken", MAX_TOKEN_CHARS);
        }
    }

    public AgentRegistered(String agentId, long epoch, long sequence, String agentVersion, Inventory inventory) {
        this(agentId, epoch, sequence, agentVersion, inventory, null, null);
    }

    public AgentRegistered(String agentId, long sequence, String agentVersion, Inventory inventory) {
        this(agentId, 0, sequence, agentVersion, inventory);
    }

    @Override
    public AgentRegistered at(long newEpoch, long newSequence) {
        return new AgentRegistered(agentId, newEpoch, newSequence, agentVersion, inventory, publicKey, enrolmentToken);
    }

    /** The same registration with the agent's public key and, when it has one, its enrolment token. */
    public AgentRegistered withIdentity(String newPublicKey, String newEnrolmentToken) {
        return new AgentRegistered(agentId, epoch, sequence, agentVersion, inventory, newPublicKey, newEnrolmentToken);
    }
}
