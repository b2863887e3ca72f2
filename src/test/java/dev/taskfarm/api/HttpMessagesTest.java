package dev.taskfarm.api;

import java.util.List;

import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import dev.taskfarm.support.Http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class HttpMessagesTest {

    static Message message() {
        return new DefaultExchange(new DefaultCamelContext()).getMessage();
    }

    @Test
    void mediaTypeIgnoresParametersAndCase() {
        assertThat(HttpMessages.mediaType("Application/JSON; charset=utf-8")).isEqualTo("application/json");
        assertThat(HttpMessages.mediaType(" application/x-ndjson ")).isEqualTo("application/x-ndjson");
        assertThat(HttpMessages.mediaType("")).isNull();
        assertThat(HttpMessages.mediaType(null)).isNull();
    }

    @Test
    void aParameterGivenTwiceIsRefused() throws Exception {
        Message m = message();
        m.setHeader("id", List.of("a", "b"));
        ApiException e = catchThrowableOfType(ApiException.class, () -> HttpMessages.param(m, "id"));
        assertThat(e.status()).isEqualTo(400);
        m.setHeader("id", "a");
        assertThat(HttpMessages.param(m, "id")).isEqualTo("a");
    }

    @Test
    void numbersMustBeInRange() throws Exception {
        Message m = message();
        assertThat(HttpMessages.intParam(m, "limit", 50, 1, 100)).isEqualTo(50);
        m.setHeader("limit", "7");
        assertThat(HttpMessages.intParam(m, "limit", 50, 1, 100)).isEqualTo(7);
        for (String bad : new String[] {"0", "101", "x", "1e3", "99999999999"}) {
            m.setHeader("limit", bad);
            assertThat(catchThrowableOfType(ApiException.class, () -> HttpMessages.intParam(m, "limit", 50, 1, 100)).status())
                    .as(bad).isEqualTo(400);
        }
    }

    @Test
    void errorBodiesAreJsonWhateverTheMessage() throws Exception {
        String body = HttpMessages.errorBody(400, "bad \"id\"\n</script>\u0000");
        assertThat(Http.parse(body).path("error").asText()).isEqualTo("bad \"id\"\n</script>\u0000");
        assertThat(Http.parse(body).path("status").asInt()).isEqualTo(400);
    }
}
