package io.wslfleet.orchestrator.release;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** A release's download URL must lie under an allowed base: compared parsed, not as a string prefix. */
class DownloadBaseTest {

    @ParameterizedTest(name = "{0} under {1}: {2}")
    @CsvSource({
            "https://artifacts.example.com/artifacts/ab/nixos.wsl,        https://artifacts.example.com,           true",
            "https://artifacts.example.com/artifacts/ab/nixos.wsl,        https://artifacts.example.com/,          true",
            "https://ARTIFACTS.example.com:443/artifacts/ab/nixos.wsl,    https://artifacts.example.com/artifacts, true",
            "https://artifacts.example.com.attacker.net/ab/nixos.wsl,     https://artifacts.example.com,           false",
            "https://artifacts.example.com@attacker.net/ab/nixos.wsl,     https://artifacts.example.com,           false",
            "https://user@artifacts.example.com/ab/nixos.wsl,             https://artifacts.example.com,           false",
            "http://artifacts.example.com/ab/nixos.wsl,                   https://artifacts.example.com,           false",
            "https://artifacts.example.com:8443/ab/nixos.wsl,             https://artifacts.example.com,           false",
            "https://artifacts.example.com/artifactsevil/nixos.wsl,       https://artifacts.example.com/artifacts, false",
            "https://artifacts.example.com/artifacts/../admin/nixos.wsl,  https://artifacts.example.com/artifacts, false",
            "https://artifacts.example.com/artifacts/%2e%2e/x/nixos.wsl,  https://artifacts.example.com/artifacts, false",
            "not a url,                                                   https://artifacts.example.com,           false",
            "http://127.0.0.1:39000/artifacts/ab/nixos.wsl,               http://127.0.0.1:39000/,                 true",
    })
    void isUnder(String url, String base, boolean under) {
        assertThat(ReleaseProvenance.isUnder(url, base)).isEqualTo(under);
    }
}
