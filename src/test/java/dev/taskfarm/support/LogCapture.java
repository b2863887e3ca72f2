package dev.taskfarm.support;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects the log lines this JVM writes (what a user sees on the console), from every logger at
 * INFO and above, while it is open.
 */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    /** One captured line: logger, level and the formatted message with its exception's text. */
    public record Line(String logger, Level level, String text) {
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();

    private LogCapture() {
        super("test-capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
    }

    public static LogCapture open() {
        LogCapture capture = new LogCapture();
        capture.start();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().addAppender(capture, Level.INFO, null);
        ctx.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        String text = event.getMessage().getFormattedMessage();
        if (event.getThrown() != null) {
            text += " " + event.getThrown();
        }
        lines.add(new Line(event.getLoggerName(), event.getLevel(), text));
    }

    /** Lines whose text contains this, from loggers other than the per-job log {@code taskfarm.jobs}. */
    public List<Line> mentioning(String text) {
        return lines.stream().filter(l -> !"taskfarm.jobs".equals(l.logger())).filter(l -> l.text().contains(text)).toList();
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().removeAppender(getName());
        ctx.updateLoggers();
        stop();
    }
}
