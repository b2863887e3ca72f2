package dev.taskfarm.api;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.taskfarm.support.Http;
import dev.taskfarm.support.Jobs;
import dev.taskfarm.support.TestBroker;
import dev.taskfarm.support.TestFarm;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jobs page in a real headless Chromium (Debian's chromium and chromium-driver; .ci/run
 * installs them): jobs submitted through the API appear, their bars reach 100 %, and a job's
 * failures are listed. The page is saved as target/jobs-page.png.
 */
class JobsPageIT {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static TestFarm farm;
    static Http http;
    static ChromeDriver browser;
    static Path profile;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TestBroker.isRabbit()).as("these tests need RabbitMQ; chosen: " + TestBroker.description()).isTrue();
        assertThat(CHROMIUM).as("Debian chromium (apt-get install chromium chromium-driver)").isExecutable();
        assertThat(DRIVER).as("Debian chromium-driver").isExecutable();
        farm = TestFarm.onTestBroker().with("taskfarm.worker.slots", "2")
                .with("taskfarm.metrics.queue-depth-interval-ms", "200").start();
        http = new Http(farm.baseUri());
        profile = Files.createTempDirectory("taskfarm-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,760", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            farm.close();
            org.apache.camel.util.FileUtil.removeDir(profile.toFile());
        }
    }

    @Test
    void submittedJobsAppearReachHundredPercentAndShowTheirFailures() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 40, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 50));
        ObjectNode partial = Jobs.shaJob("flaky", 12, 1);
        ((ObjectNode) partial.get("tasks").get(4)).put("fail", true);
        ((ObjectNode) partial.get("tasks").get(9)).put("fail", true);
        assertThat(http.postJson("/jobs?id=render-tiles", job.toString()).statusCode()).isEqualTo(202);
        assertThat(http.postJson("/jobs?id=score-candidates", partial.toString()).statusCode()).isEqualTo(202);

        browser.get(farm.baseUri() + "/");
        // the table is redrawn every second, so an element found a moment ago may be gone: look again
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(200));
        wait.ignoring(StaleElementReferenceException.class);

        assertThat(browser.getCurrentUrl()).endsWith("/ui/");
        assertThat(browser.getTitle()).isEqualTo("taskfarm jobs");
        String id = wait.until(d -> d.findElement(By.cssSelector("tr[data-job-id='render-tiles'] .id")).getText());
        assertThat(id).isEqualTo("render-tiles");
        // the page refreshes by itself until the job is done
        wait.until(d -> Double.parseDouble(d.findElement(By.cssSelector("tr[data-job-id='render-tiles'] .bar"))
                .getDomAttribute("data-percent")) == 100.0);
        wait.until(d -> "completed".equals(d.findElement(By.cssSelector("tr[data-job-id='render-tiles']"))
                .getDomAttribute("data-status")));
        String label = wait.until(d -> d.findElement(By.cssSelector("tr[data-job-id='render-tiles'] .bar .label")).getText());
        assertThat(label).isEqualTo("40/40 (100%)");

        wait.until(d -> "partial".equals(d.findElement(By.cssSelector("tr[data-job-id='score-candidates']"))
                .getDomAttribute("data-status")));
        wait.until(d -> {
            d.findElement(By.cssSelector("tr[data-job-id='score-candidates']")).click();
            return true;
        });
        wait.until(d -> d.findElements(By.cssSelector("#failures tbody tr")).size() == 2);
        // the new columns
        assertThat(browser.findElement(By.cssSelector("tr[data-job-id='score-candidates'] .compute")).getText()).isEqualTo("flaky");
        assertThat(browser.findElement(By.cssSelector("tr[data-job-id='score-candidates'] .duration")).getText())
                .matches("\\d+:\\d\\d");
        assertThat(browser.findElement(By.id("detail-id")).getText()).isEqualTo("score-candidates");
        assertThat(browser.findElement(By.id("detail-line")).getText()).contains("10 succeeded, 2 failed");
        assertThat(browser.findElements(By.cssSelector("#failures tbody tr")).get(0).getText())
                .contains("4").contains("task task-4 was told to fail");

        File shot = browser.getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", "jobs-page.png");
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(target)).isGreaterThan(10_000);
    }

    @Test
    void theFirstPaintShowsJobsFromThePageItself() throws Exception {
        assertThat(http.postJson("/jobs?id=first-paint", "[{\"seed\":\"a\"}]").statusCode()).isEqualTo(202);
        String html = http.get("/ui/").body();
        assertThat(html).contains("id=\"initial-jobs\"").contains("first-paint").doesNotContain("loading...");
        // no waiting: the rows are drawn from the page's own data before any request returns
        browser.get(farm.baseUri() + "/ui/");
        assertThat(browser.findElements(By.cssSelector("tr[data-job-id='first-paint']"))).hasSize(1);
        assertThat(browser.findElement(By.id("summary")).getText()).contains("recent jobs");
    }

    @Test
    void jobsAreFilteredBySearchAndStatus() throws Exception {
        assertThat(http.postJson("/jobs?id=filter-alpha", "{\"compute\":\"echo\",\"tasks\":[{\"a\":1}]}").statusCode())
                .isEqualTo(202);
        assertThat(http.postJson("/jobs?id=filter-beta", "[{\"seed\":\"b\"}]").statusCode()).isEqualTo(202);
        browser.get(farm.baseUri() + "/ui/");
        WebDriverWait wait = waiter();
        wait.until(d -> d.findElements(By.cssSelector("tr[data-job-id='filter-beta']")).size() == 1);
        browser.findElement(By.id("search")).sendKeys("filter-al");
        wait.until(d -> d.findElements(By.cssSelector("#jobs tbody tr")).size() == 1);
        assertThat(browser.findElement(By.cssSelector("#jobs tbody tr")).getDomAttribute("data-job-id")).isEqualTo("filter-alpha");
        browser.findElement(By.id("search")).clear();
        browser.findElement(By.id("search")).sendKeys("ECHO");
        wait.until(d -> d.findElements(By.cssSelector("#jobs tbody tr")).stream()
                .allMatch(r -> r.findElement(By.cssSelector(".compute")).getText().equals("echo")));
        browser.findElement(By.id("search")).clear();
        browser.findElement(By.id("search")).sendKeys("x");
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("status-filter"))).selectByValue("cancelled");
        browser.findElement(By.id("search")).clear();
        wait.until(d -> d.findElements(By.cssSelector("#jobs tbody tr")).stream()
                .allMatch(r -> "cancelled".equals(r.getDomAttribute("data-status"))));
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("status-filter"))).selectByValue("");
    }

    @Test
    void aRunningJobIsCancelledFromThePageAndTheFarmViewShowsTheWorkers() throws Exception {
        ObjectNode job = Jobs.shaJob("flaky", 60, 1);
        job.withArray("tasks").forEach(t -> ((ObjectNode) t).put("sleepMs", 200));
        // one task per message: the farm view's queue depth counts messages (flaky's cost is tiny in
        // earlier tests, so automatic chunks would put the whole job in a few prefetched messages)
        job.put("chunkSize", 1);
        assertThat(http.postJson("/jobs?id=page-cancel", job.toString()).statusCode()).isEqualTo(202);
        browser.get(farm.baseUri() + "/ui/#page-cancel");
        WebDriverWait wait = waiter();
        // one worker process of 2 slots (one consumer per compute queue); both slots busy on this job
        wait.until(d -> d.findElement(By.id("farm-workers")).getText().equals("1"));
        wait.until(d -> d.findElement(By.id("farm-slots")).getText().endsWith("/2"));
        wait.until(d -> number(d.findElement(By.id("farm-queued")).getText()) > 0);
        wait.until(d -> number(d.findElement(By.id("detail-chart")).getDomAttribute("data-points")) >= 2);
        wait.until(d -> number(d.findElement(By.id("farm-chart")).getDomAttribute("data-points")) >= 2);
        saveScreenshot(Path.of("target", "jobs-page-farm.png"));

        wait.until(d -> {
            d.findElement(By.cssSelector("tr[data-job-id='page-cancel'] button.cancel")).click();
            return true;
        });
        wait.until(d -> d.findElement(By.cssSelector("tr[data-job-id='page-cancel'] button.cancel")).getText()
                .equals("really cancel?"));
        wait.until(d -> {
            d.findElement(By.cssSelector("tr[data-job-id='page-cancel'] button.cancel.confirm")).click();
            return true;
        });
        wait.until(d -> "cancelled".equals(d.findElement(By.cssSelector("tr[data-job-id='page-cancel']"))
                .getDomAttribute("data-status")));
        assertThat(http.json("/jobs/page-cancel").path("status").asText()).isEqualTo("cancelled");
        assertThat(browser.findElements(By.cssSelector("tr[data-job-id='page-cancel'] button.cancel"))).isEmpty();
    }

    @Test
    void aNarrowWindowDoesNotScrollSideways() throws Exception {
        assertThat(http.postJson("/jobs?id=a-job-with-a-rather-long-name-for-a-narrow-phone-screen",
                "[{\"seed\":\"n\"}]").statusCode()).isEqualTo(202);
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(420, 800));
        try {
            browser.get(farm.baseUri() + "/ui/#a-job-with-a-rather-long-name-for-a-narrow-phone-screen");
            waiter().until(d -> d.findElements(By.cssSelector("#jobs tbody tr")).size() > 0);
            Object widths = browser.executeScript(
                    "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];");
            java.util.List<?> w = (java.util.List<?>) widths;
            assertThat(((Number) w.get(0)).longValue()).as("page width " + w).isLessThanOrEqualTo(((Number) w.get(1)).longValue());
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 760));
        }
    }

    /** A number shown on the page, 0 while it shows none yet. */
    static int number(String text) {
        return text == null || !text.matches("\\d+") ? 0 : Integer.parseInt(text);
    }

    WebDriverWait waiter() {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(200));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    static void saveScreenshot(Path target) throws Exception {
        File shot = browser.getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(target)).isGreaterThan(10_000);
    }
}
