package dev.taskfarm.job;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JobIdsTest {

    @Test
    void plainNamesKeepTheirBase() {
        assertThat(JobIds.fromFileName("tasks-100.json")).isEqualTo("tasks-100");
        assertThat(JobIds.fromFileName("big.NDJSON")).isEqualTo("big");
        assertThat(JobIds.fromFileName("v1.2_run.jsonl")).isEqualTo("v1.2_run");
    }

    @Test
    void unsafeNamesBecomeSafeAndStayDistinct() {
        String a = JobIds.fromFileName("../../etc/passwd.json");
        String b = JobIds.fromFileName("..-..-etc-passwd.json");
        assertThat(a).matches("[A-Za-z0-9_-][A-Za-z0-9._-]*").doesNotContain("/").doesNotStartWith(".");
        assertThat(JobIds.isValid(a)).isTrue();
        assertThat(a).isNotEqualTo(b);
        assertThat(JobIds.isValid(JobIds.fromFileName("задача.json"))).isTrue();
        assertThat(JobIds.isValid(JobIds.fromFileName("x".repeat(300) + ".json"))).isTrue();
        assertThat(JobIds.isValid(JobIds.fromFileName(".json"))).isTrue();
    }

    @Test
    void validation() {
        assertThat(JobIds.isValid("ok-1.2_3")).isTrue();
        assertThat(JobIds.isValid(".hidden")).isFalse();
        assertThat(JobIds.isValid("a/b")).isFalse();
        assertThat(JobIds.isValid("")).isFalse();
        assertThat(JobIds.isValid(null)).isFalse();
        assertThat(JobIds.isValid(JobIds.generate())).isTrue();
    }
}
