package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.AclEntryPermission;
import java.nio.file.attribute.AclEntryType;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;

import io.wslfleet.protocol.release.Ed25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's identity key on disk: made once, owner-only, kept, and never silently replaced. */
class AgentIdentityTest {

    @TempDir
    Path state;

    @Test
    void theKeyIsMadeOwnerOnlyAtFirstStartAndKeptAcrossRestarts() throws Exception {
        AgentIdentity first = AgentIdentity.loadOrCreate(state);
        Path key = state.resolve(AgentIdentity.KEY_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.readString(state.resolve(AgentIdentity.PUBLIC_FILE))).isEqualTo(first.publicKey());
        assertThat(first.keyId()).matches("ed25519:[0-9a-f]{32}");
        assertThat(Files.list(state).map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));

        AgentIdentity again = AgentIdentity.loadOrCreate(state);
        assertThat(again.keyId()).isEqualTo(first.keyId());
        assertThat(again.pair().getPrivate().getEncoded()).isEqualTo(first.pair().getPrivate().getEncoded());
        byte[] message = "hello".getBytes();
        assertThat(Ed25519.verify(first.pair().getPublic(), message, Ed25519.sign(again.pair().getPrivate(), message)))
                .isTrue();
        assertThat(AgentIdentity.loadOrCreate(state.resolve("fresh")).keyId()).isNotEqualTo(first.keyId());
    }

    @Test
    void aKeyFileOthersCanReadIsRestrictedAgain() throws Exception {
        AgentIdentity.loadOrCreate(state);
        Path key = state.resolve(AgentIdentity.KEY_FILE);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        AgentIdentity.loadOrCreate(state);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    }

    @Test
    void aCorruptKeyIsAStartUpErrorNotANewIdentity() throws Exception {
        AgentIdentity.loadOrCreate(state);
        Path key = state.resolve(AgentIdentity.KEY_FILE);
        Files.writeString(key, "not a key");
        assertThatThrownBy(() -> AgentIdentity.loadOrCreate(state)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(key.toString()).hasMessageContaining("cannot be read");
        assertThat(Files.readString(key)).isEqualTo("not a key");
    }

    @Test
    void aLostKeyIsAStartUpErrorNotANewIdentity() throws Exception {
        AgentIdentity.loadOrCreate(state);
        Files.delete(state.resolve(AgentIdentity.KEY_FILE));
        assertThatThrownBy(() -> AgentIdentity.loadOrCreate(state)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is missing");
        assertThat(state.resolve(AgentIdentity.KEY_FILE)).doesNotExist();
    }

    @Test
    void aKeyReplacedUnderItsPublicHalfIsAStartUpError() throws Exception {
        AgentIdentity.loadOrCreate(state);
        Files.writeString(state.resolve(AgentIdentity.KEY_FILE), Ed25519.encode(Ed25519.generate().getPrivate()));
        assertThatThrownBy(() -> AgentIdentity.loadOrCreate(state)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not the public half");
    }

    @Test
    void onWindowsTheKeysAclHasOneEntryForItsOwner() {
        UserPrincipal owner = () -> "CORP\\dev";
        var entry = AgentIdentity.ownerOnlyEntry(owner);
        assertThat(entry.type()).isEqualTo(AclEntryType.ALLOW);
        assertThat(entry.principal()).isEqualTo(owner);
        assertThat(entry.permissions()).contains(AclEntryPermission.READ_DATA, AclEntryPermission.WRITE_DATA)
                .doesNotContain(AclEntryPermission.EXECUTE);
    }
}
