package dev.taskfarm;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * Entry point: runs taskfarm with Camel Main. The routes are YAML files read from the file system
 * ({@code routes/} by default), chosen by role: {@code routes/coordinator/} and/or
 * {@code routes/worker/}.
 */
public final class TaskfarmApp {

    private TaskfarmApp() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(newMain().run(args));
    }

    /** A Camel Main configured for taskfarm; not started. */
    public static Main newMain() {
        Main main = new Main();
        // an optional application.properties in the working directory overrides the jar's defaults:
        // Camel takes a property from the first location that has it, so the file comes first
        main.setPropertyPlaceholderLocations(
                "file:application.properties;optional=true,classpath:application.properties;optional=true");
        main.configure().addConfiguration(TaskfarmBeans.class);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport m) {
                Settings s = new Settings(m.getCamelContext());
                String dir = s.get("taskfarm.routes", "routes");
                Settings.Role role = s.role();
                StringBuilder pattern = new StringBuilder();
                if (role.coordinates()) {
                    pattern.append("file:").append(dir).append("/coordinator/*.camel.yaml");
                }
                if (role.works()) {
                    pattern.append(pattern.isEmpty() ? "" : ",").append("file:").append(dir).append("/worker/*.camel.yaml");
                }
                // an explicit camel.main.routes-include-pattern still wins: it is applied after this
                m.configure().setRoutesIncludePattern(pattern.toString());
            }
        });
        return main;
    }
}
