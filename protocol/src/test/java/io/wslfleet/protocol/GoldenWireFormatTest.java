package io.wslfleet.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.wslfleet.protocol.events.EventData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the JSON data of every event type to a file under {@code src/test/resources/golden}, so that any change to
 * the wire format shows in review. After an intended change, regenerate with {@code -Dgolden.update=true}.
 */
class GoldenWireFormatTest {

    @ParameterizedTest
    @EnumSource(EventType.class)
    void dataMatchesGoldenFile(EventType type) throws IOException {
        EventData sample = Samples.all().get(type);
        assertThat(sample).as("a sample of %s", type).isNotNull();
        String file = "golden/" + type.ceType() + ".json";
        JsonNode actual = Json.MAPPER.readTree(Json.MAPPER.writeValueAsBytes(sample));

        if (Boolean.getBoolean("golden.update")) {
            Path target = Path.of("src/test/resources", file);
            Files.createDirectories(target.getParent());
            Files.writeString(target, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(actual) + "\n");
        }
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(file)) {
            assertThat(in).as("golden file %s", file).isNotNull();
            JsonNode golden = Json.MAPPER.readTree(in);
            assertThat(actual).isEqualTo(golden);
            assertThat(Json.MAPPER.treeToValue(golden, type.dataClass())).isEqualTo(sample);
        }
    }
}
