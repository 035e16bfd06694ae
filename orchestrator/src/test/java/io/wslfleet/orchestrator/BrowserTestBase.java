package io.wslfleet.orchestrator;

import io.quarkus.test.common.http.TestHTTPResource;
import io.wslfleet.orchestrator.support.Chromium;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.openqa.selenium.WebDriver;

import java.net.URL;

/**
 * What every browser test class shares: simulated agents on the real broker for the class, one headless Chromium
 * (started on first use, skipped with a reason when chromium/chromedriver are missing), signed-in windows.
 */
abstract class BrowserTestBase {
    @TestHTTPResource("/")
    URL base;

    static SimulatedFleet fleet;
    static Chromium chromium;

    @BeforeAll
    static void startFleet() {
        Assumptions.assumeTrue(Chromium.available(), Chromium.MISSING);
        fleet = new SimulatedFleet();
    }

    @AfterAll
    static void stopFleet() throws InterruptedException {
        if (chromium != null) {
            chromium.close();
            chromium = null;
        }
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
    }

    /** A browser window signed in as this user. */
    WebDriver browser(String user, String password) throws Exception {
        if (chromium == null) {
            chromium = new Chromium(base);
        }
        return chromium.signIn(user, password);
    }

    void open(WebDriver driver, String path) {
        chromium.open(driver, path);
    }
}
