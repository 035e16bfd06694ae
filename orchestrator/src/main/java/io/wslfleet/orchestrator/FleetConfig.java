package io.wslfleet.orchestrator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** The orchestrator's own settings, under {@code fleet.*}. */
@ConfigMapping(prefix = "fleet")
public interface FleetConfig {

    /** The CloudEvents source of everything this instance emits. */
    @WithDefault("/orchestrator")
    String source();

    /** A machine not heard from for this long counts as offline. */
    @WithDefault("PT5M")
    Duration offlineAfter();

    Outbox outbox();

    /**
     * How many partitions {@code fleet.commands} has ({@code FLEET_COMMANDS_PARTITIONS}; the manifests set it with the
     * topic's count). Each agent reads the partition its id hashes to, so the count must never change once agents
     * connect: the orchestrator refuses to start when the topic's count differs ({@code bus.CommandPartitionsGuard}).
     */
    @WithDefault("" + io.wslfleet.protocol.Topics.DEFAULT_PARTITIONS)
    int commandsPartitions();

    Ingest ingest();

    Security security();

    /**
     * How old the dashboard's fleet counts (by health, release, WSL version; the filters' choices) may be: they are
     * counted in one pass over the machine table, which at a million machines takes a few hundred milliseconds, so
     * pages within this age share one count. {@code 0s}: counted for every page.
     */
    @WithDefault("PT5S")
    Duration statisticsMaxAge();

    /** Health reports older than this are deleted (the machine keeps its latest state). */
    @WithDefault("P30D")
    Duration healthRetention();

    /**
     * Health history records every change of a machine's health (state, generation, system, failed units) and, while
     * it stays the same, one report per this interval: not one row per heartbeat.
     */
    @WithDefault("PT1H")
    Duration healthSampleEvery();

    /**
     * Users of the API and dashboard (HTTP Basic): {@code admin} (admin, operator, viewer), {@code operator}
     * (operator, viewer), {@code viewer}. A user without a password does not exist, except {@code admin}, whose
     * password is generated and logged once at start when none is configured. Production signs in with OIDC
     * ({@link Oidc}) beside or instead of these.
     */
    interface Security {
        /** {@code FLEET_ADMIN_PASSWORD}. */
        java.util.Optional<String> adminPassword();

        /** {@code FLEET_OPERATOR_PASSWORD}. */
        java.util.Optional<String> operatorPassword();

        /** {@code FLEET_VIEWER_PASSWORD}. */
        java.util.Optional<String> viewerPassword();
    }

    Oidc oidc();

    /**
     * Single sign-on: which values of the token's role claim ({@code quarkus.oidc.roles.role-claim-path}, from
     * {@code FLEET_OIDC_ROLE_CLAIM}) grant which fleet role. Any other value grants nothing, even one named like a
     * fleet role; the rest of the OIDC settings are {@code quarkus.oidc.*} (README, "Single sign-on").
     */
    interface Oidc {
        /** {@code FLEET_OIDC_ADMIN_ROLE}: an app role, a Keycloak role, or an Entra group's object id. */
        @WithDefault("fleet-admin")
        String adminRole();

        /** {@code FLEET_OIDC_OPERATOR_ROLE}. */
        @WithDefault("fleet-operator")
        String operatorRole();

        /** {@code FLEET_OIDC_VIEWER_ROLE}. */
        @WithDefault("fleet-viewer")
        String viewerRole();
    }

    Rollout rollout();

    Trust trust();

    @io.smallrye.config.WithName("command-signing")
    Signing signing();

    /**
     * The orchestrator's signing key: {@code key-id} + {@code key} (base64 PKCS#8 Ed25519;
     * {@code FLEET_ORCHESTRATOR_KEY_ID}, {@code FLEET_ORCHESTRATOR_KEY}), or {@code key-file}
     * ({@code FLEET_ORCHESTRATOR_KEY_FILE}: lines {@code keyId=base64pkcs8}, the last one active, re-read on change).
     */
    interface Signing {
        java.util.Optional<String> keyId();

        java.util.Optional<String> key();

        java.util.Optional<String> keyFile();
    }

    /** Whom the orchestrator believes. */
    interface Trust {
        /**
         * The build keys whose signed release manifests are cataloged: {@code keyId=base64,keyId2=base64}
         * ({@code FLEET_TRUST_BUILD_KEYS}). Several at once, so a key is rotated by adding the new one first.
         */
        java.util.Optional<String> buildKeys();

        /** Download URLs a release may name must start with one of these ({@code FLEET_TRUST_ARTIFACT_BASE_URLS}). */
        java.util.Optional<java.util.List<String>> artifactBaseUrls();
    }

    /** The bounds of the event contract (see {@link io.wslfleet.protocol.Contract} and docs/design.md). */
    ContractBounds contract();

    interface ContractBounds {
        /** Key, headers and value of one record together. */
        @WithDefault("262144")
        int maxRecordBytes();

        /** How old an event's {@code ce_time} may be (an offline laptop's outbox delivers late). */
        @WithDefault("P30D")
        Duration maxPast();

        /** How far ahead of this instance's clock an event's {@code ce_time} may be. */
        @WithDefault("PT10M")
        Duration maxFuture();

        /** How far an agent's sequence may jump beyond the last one applied in the same epoch. */
        @WithDefault("1000000")
        long maxSequenceJump();

        default io.wslfleet.protocol.Contract toContract() {
            return new io.wslfleet.protocol.Contract(maxRecordBytes(), maxPast(), maxFuture(), maxSequenceJump());
        }
    }

    interface Outbox {
        /** Rows relayed per transaction (signed on every core, then sent and acknowledged together). */
        @WithDefault("2000")
        int batchSize();

        /** How often the relay looks for unsent rows (read by the scheduler as {@code fleet.outbox.relay-every}). */
        @WithDefault("0.25s")
        String relayEvery();

        /**
         * How long a published (or withheld) row stays in the outbox before {@code bus.TableRetention} deletes it:
         * long enough to look at what was just sent, short enough that the table holds minutes of commands, not a
         * history (the deployment rows and the audit log are the history).
         */
        @WithDefault("PT10M")
        Duration keepSent();
    }

    interface Ingest {
        /**
         * Threads applying one poll of agent events: the poll is split by machine (record key), each share applied in
         * its own transaction, so one machine's events stay in order on one thread and no two threads lock the same
         * machine. Signature verification, the largest cost per event, runs on all of them.
         */
        @WithDefault("2")
        int threads();
    }

    interface Rollout {
        /** Default per-deployment deadline when a rollout does not set one. */
        @WithDefault("PT30M")
        Duration defaultDeadline();

        /** How long a rollback command may take before the deployment counts as ROLLBACK_FAILED. */
        @WithDefault("PT15M")
        Duration rollbackDeadline();

        /** How often deadlines, soak times and waves are re-evaluated ({@code fleet.rollout.tick-every}). */
        @WithDefault("1s")
        String tickEvery();

        /**
         * At most this many machines commanded in one transaction: a wave of 100,000 goes out as a few bounded
         * transactions one after the other (each a set-based update and one outbox insert, about a second), never
         * one transaction holding the rollout's lock for long.
         */
        @WithDefault("20000")
        int dispatchBatch();
    }
}
