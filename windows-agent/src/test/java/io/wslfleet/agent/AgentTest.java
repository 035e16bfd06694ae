package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.HealthCheckCommand;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The agent over a real broker, driving the stand-in wsl.exe, installing a release served over HTTP. */
class AgentTest extends AgentTestSupport {

    @Test
    void installsAVerifiedReleaseAndAnswersADuplicatePublishWithTheSameResult() throws Exception {
        Path wslState = tmp.resolve("ws-a-wsl");
        Agent agent = agent("WS-A", wslState);
        String id = agent.config().agentId();
        assertThat(id).isEqualTo("ws-a/dev");
        AgentRegistered registered = await(AgentRegistered.class, r -> r.agentId().equals(id));
        assertThat(registered.inventory().labels()).containsEntry("ring", "canary");
        assertThat(registered.inventory().wslVersion()).isEqualTo("2.5.9.0");

        InstallCommand install = new InstallCommand("cmd-a1", id, "NixOS", release, Instant.now().plusSeconds(300));
        // the orchestrator publishes at least once: the very same signed event may arrive twice
        ProducerRecord<String, byte[]> signed = RecordSignatures.sign(
                EventCodec.toRecord(CloudEvent.of("urn:test", install)), orchestratorSigner());
        sendRecord(signed);
        CommandResult result = await(CommandResult.class, r -> r.commandId().equals("cmd-a1"));
        assertThat(result.outcome()).as(result.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(result.health().systemPath()).isEqualTo(release.systemPath());
        assertThat(result.health().systemState()).isEqualTo("running");
        assertThat(result.health().generation()).isEqualTo(1);
        assertThat(distrosOf(wslState)).isEqualTo("NixOS");

        sendRecord(signed);
        await(CommandResult.class, r -> r.commandId().equals("cmd-a1") && r.sequence() > result.sequence());
        List<CommandResult> both = events(CommandResult.class, r -> r.commandId().equals("cmd-a1"));
        assertThat(both).hasSize(2);
        assertThat(both.get(1).outcome()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(both.get(1).message()).isEqualTo(result.message());
        // a re-sent result, not a second run: no second INSTALLING step for the command
        long installing = seen.stream().map(r -> EventDecoder.of(r.topic()).decode(r)).filter(d -> d instanceof Decoded.Event)
                .map(d -> ((Decoded.Event) d).event().data())
                .filter(d -> d instanceof io.wslfleet.protocol.events.CommandProgress p
                        && p.commandId().equals("cmd-a1") && p.step().equals("INSTALLING")).count();
        assertThat(installing).isEqualTo(1);

        send(new HealthCheckCommand("cmd-a2", id, "NixOS", Instant.now().plusSeconds(60)));
        CommandResult health = await(CommandResult.class, r -> r.commandId().equals("cmd-a2"));
        assertThat(health.outcome()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(health.sequence()).isGreaterThan(both.get(1).sequence());
    }

    @Test
    void aReleaseWithABadSignatureIsRefusedAndNothingIsInstalled() throws Exception {
        Path wslState = tmp.resolve("ws-b-wsl");
        Agent agent = agent("ws-b", wslState);
        String id = agent.config().agentId();
        String forged = Ed25519.sign(Ed25519.generate().getPrivate(), release.manifest().getBytes(StandardCharsets.UTF_8));
        ReleaseRef bad = new ReleaseRef(release.releaseId(), release.version(), release.downloadUrl(), release.sha256(),
                release.size(), release.manifest(), forged, release.keyId(), release.systemPath());
        send(new InstallCommand("cmd-b1", id, "NixOS", bad, Instant.now().plusSeconds(300)));

        CommandResult result = await(CommandResult.class, r -> r.commandId().equals("cmd-b1"));
        assertThat(result.outcome()).isEqualTo(CommandOutcome.REFUSED);
        assertThat(result.reason()).isEqualTo(FailureReason.BAD_SIGNATURE);
        assertThat(distrosOf(wslState)).isEmpty();
    }

    @Test
    void aMalformedCommandIsDeadLetteredAndTheAgentCarriesOn() throws Exception {
        Path wslState = tmp.resolve("ws-c-wsl");
        Agent agent = agent("ws-c", wslState);
        String id = agent.config().agentId();
        var junk = new ProducerRecord<String, byte[]>(Topics.COMMANDS, id, "{\"commandId\":".getBytes(StandardCharsets.UTF_8));
        junk.headers().add("ce_id", "junk-c".getBytes(StandardCharsets.UTF_8));
        junk.headers().add("ce_type", "io.wslfleet.distro.install.v1".getBytes(StandardCharsets.UTF_8));
        producer.send(junk).get(30, TimeUnit.SECONDS);
        send(new HealthCheckCommand("cmd-c1", id, "NixOS", Instant.now().plusSeconds(60)));

        CommandResult health = await(CommandResult.class, r -> r.commandId().equals("cmd-c1"));
        assertThat(health.health().systemState()).isEqualTo("absent");
        assertThat(seen.stream().filter(r -> r.topic().equals(Topics.DEAD_LETTER))
                .filter(r -> id.equals(r.key()))
                .map(r -> new String(r.headers().lastHeader(CloudEventHeaders.DLQ_CONSUMER).value(), StandardCharsets.UTF_8)))
                .contains(id);
    }

    private static String installedWithHome(Agent agent, Path wslState, String commandId) throws Exception {
        String id = agent.config().agentId();
        send(new InstallCommand(commandId, id, "NixOS", release, Instant.now().plusSeconds(300)));
        assertThat(await(CommandResult.class, r -> r.commandId().equals(commandId)).outcome()).isEqualTo(CommandOutcome.SUCCEEDED);
        Files.writeString(wslState.resolve("distros/NixOS/rootfs/home/nixos/notes.txt"), "work in progress");
        return id;
    }

    @Test
    void upgradesInPlaceToANewGenerationKeepingHome() throws Exception {
        Path wslState = tmp.resolve("ws-d-wsl");
        String id = installedWithHome(agent("ws-d", wslState), wslState, "cmd-d1");
        ReleaseRef v2 = publish(store, "25.05.3", DemoRoot.Fault.NONE);
        send(new UpgradeCommand("cmd-d2", id, "NixOS", v2, UpgradeMode.IN_PLACE, false, Instant.now().plusSeconds(300)));
        CommandResult up = await(CommandResult.class, r -> r.commandId().equals("cmd-d2"));
        assertThat(up.outcome()).as(up.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(up.health().generation()).isEqualTo(2);
        assertThat(up.health().systemPath()).isEqualTo(v2.systemPath());
        assertThat(Files.readString(wslState.resolve("distros/NixOS/rootfs/home/nixos/notes.txt"))).isEqualTo("work in progress");
    }

    @Test
    void rollsBackByItselfWhenTheNewGenerationComesUpDegraded() throws Exception {
        Path wslState = tmp.resolve("ws-d3-wsl");
        String id = installedWithHome(agent("ws-d3", wslState), wslState, "cmd-d31");
        ReleaseRef v3 = publish(store, "25.05.4", DemoRoot.Fault.DEGRADED);
        send(new UpgradeCommand("cmd-d3", id, "NixOS", v3, UpgradeMode.IN_PLACE, false, Instant.now().plusSeconds(300)));
        CommandResult degraded = await(CommandResult.class, r -> r.commandId().equals("cmd-d3"));
        assertThat(degraded.outcome()).as(degraded.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(degraded.reason()).isEqualTo(FailureReason.ACTIVATION_FAILED);
        assertThat(degraded.failedGeneration()).isEqualTo(2);
        assertThat(degraded.failedUnits()).containsExactly("nix-daemon.service", "home-manager-nixos.service");
        assertThat(degraded.health().systemState()).isEqualTo("running");
        assertThat(degraded.health().generation()).isEqualTo(1);
        assertThat(degraded.health().systemPath()).isEqualTo(release.systemPath());
    }

    @Test
    void whenTheRecoveryShellIsBrokenTheProfileIsRepointedFromTheSystemDistro() throws Exception {
        Path wslState = tmp.resolve("ws-d4-wsl");
        String id = installedWithHome(agent("ws-d4", wslState), wslState, "cmd-d41");
        io.wslfleet.wslstandin.StandInFaults.inject(wslState, io.wslfleet.wslstandin.StandInFaults.RECOVERY_BAD_INTERPRETER, "");
        ReleaseRef v4 = publish(store, "25.05.5", DemoRoot.Fault.NO_BOOT);
        send(new UpgradeCommand("cmd-d4", id, "NixOS", v4, UpgradeMode.IN_PLACE, false, Instant.now().plusSeconds(300)));
        CommandResult noBoot = await(CommandResult.class, r -> r.commandId().equals("cmd-d4"));
        assertThat(noBoot.outcome()).as(noBoot.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(noBoot.message()).contains("repointing the profile").contains("bad interpreter");
        assertThat(noBoot.health().systemPath()).isEqualTo(release.systemPath());
        assertThat(noBoot.health().generation()).isEqualTo(1);
        assertThat(Files.readString(wslState.resolve("distros/NixOS/rootfs/home/nixos/notes.txt"))).isEqualTo("work in progress");
    }

    @Test
    void onAnOldWslWithoutInstallFromFileTheAgentImports() throws Exception {
        Path wslState = tmp.resolve("ws-e-wsl");
        io.wslfleet.wslstandin.StandInFaults.inject(wslState, io.wslfleet.wslstandin.StandInFaults.INBOX, "");
        Agent agent = agent("ws-e", wslState);
        AgentRegistered registered = await(AgentRegistered.class, r -> r.agentId().equals(agent.config().agentId()));
        assertThat(registered.inventory().wslVersion()).isEqualTo("inbox");
        send(new InstallCommand("cmd-e1", agent.config().agentId(), "NixOS", release, Instant.now().plusSeconds(300)));
        CommandResult result = await(CommandResult.class, r -> r.commandId().equals("cmd-e1"));
        // --install --from-file is an invalid option on this WSL: success means the agent used --import
        assertThat(result.outcome()).as(result.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(distrosOf(wslState)).isEqualTo("NixOS");
    }

    @Test
    void nameTakenDiskFullAndACorruptDownloadAreRefusedWithTheReasonAndChangeNothing() throws Exception {
        Path wslState = tmp.resolve("ws-f-wsl");
        Agent agent = agent("ws-f", wslState);
        String id = agent.config().agentId();

        // a download that is not what the signed manifest vouches for
        ReleaseRef other = publish(store, "25.05.13", DemoRoot.Fault.NONE);
        ReleaseRef corrupt = new ReleaseRef(release.releaseId(), release.version(), other.downloadUrl(), release.sha256(),
                release.size(), release.manifest(), release.signature(), release.keyId(), release.systemPath());
        send(new InstallCommand("cmd-f1", id, "NixOS", corrupt, Instant.now().plusSeconds(300)));
        CommandResult bad = await(CommandResult.class, r -> r.commandId().equals("cmd-f1"));
        assertThat(bad.outcome()).isEqualTo(CommandOutcome.REFUSED);
        assertThat(bad.reason()).isIn(FailureReason.CHECKSUM_MISMATCH, FailureReason.SIZE_MISMATCH);
        assertThat(distrosOf(wslState)).isEmpty();

        io.wslfleet.wslstandin.StandInFaults.inject(wslState, io.wslfleet.wslstandin.StandInFaults.DISK_FULL, "");
        send(new InstallCommand("cmd-f2", id, "NixOS", release, Instant.now().plusSeconds(300)));
        CommandResult full = await(CommandResult.class, r -> r.commandId().equals("cmd-f2"));
        assertThat(full.outcome()).isEqualTo(CommandOutcome.FAILED);
        assertThat(full.reason()).isEqualTo(FailureReason.DISK_FULL);
        assertThat(distrosOf(wslState)).isEmpty();
        io.wslfleet.wslstandin.StandInFaults.clear(wslState, io.wslfleet.wslstandin.StandInFaults.DISK_FULL);

        send(new InstallCommand("cmd-f3", id, "NixOS", release, Instant.now().plusSeconds(300)));
        assertThat(await(CommandResult.class, r -> r.commandId().equals("cmd-f3")).outcome()).isEqualTo(CommandOutcome.SUCCEEDED);
        send(new InstallCommand("cmd-f4", id, "NixOS", other, Instant.now().plusSeconds(300)));
        CommandResult taken = await(CommandResult.class, r -> r.commandId().equals("cmd-f4"));
        assertThat(taken.outcome()).isEqualTo(CommandOutcome.REFUSED);
        assertThat(taken.reason()).isEqualTo(FailureReason.NAME_TAKEN);
        assertThat(taken.health().systemPath()).isEqualTo(release.systemPath());
    }

    @Test
    void aHangingWslIsKilledReportedAndTheAgentCarriesOn() throws Exception {
        Path wslState = tmp.resolve("ws-g-wsl");
        Agent agent = agent("ws-g", wslState, Map.of("FLEET_WSL_TIMEOUT_SECONDS", "3"));
        String id = agent.config().agentId();
        await(AgentRegistered.class, r -> r.agentId().equals(id));
        io.wslfleet.wslstandin.StandInFaults.inject(wslState, io.wslfleet.wslstandin.StandInFaults.HANG, "-q");
        send(new InstallCommand("cmd-g1", id, "NixOS", release, Instant.now().plusSeconds(300)));
        CommandResult hung = await(CommandResult.class, r -> r.commandId().equals("cmd-g1"));
        assertThat(hung.outcome()).isEqualTo(CommandOutcome.FAILED);
        assertThat(hung.reason()).isEqualTo(FailureReason.WSL_TIMEOUT);
        assertThat(hung.message()).contains("did not finish within 3 s");

        io.wslfleet.wslstandin.StandInFaults.clear(wslState, io.wslfleet.wslstandin.StandInFaults.HANG);
        send(new InstallCommand("cmd-g2", id, "NixOS", release, Instant.now().plusSeconds(300)));
        assertThat(await(CommandResult.class, r -> r.commandId().equals("cmd-g2")).outcome())
                .isEqualTo(CommandOutcome.SUCCEEDED);
    }
}
