package io.wslfleet.protocol;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's table of dead-letter reasons says what every reason means: an operator reads it, not the code. */
class RejectReasonDocsTest {
    @ParameterizedTest
    @EnumSource(RejectReason.class)
    void everyReasonIsInTheReadmeTable(RejectReason reason) throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(readme).contains("| `" + reason.name() + "` | " + reason.meaning() + " | " + reason.action() + " |");
    }
}
