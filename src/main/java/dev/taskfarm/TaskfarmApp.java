package dev.taskfarm;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

import dev.taskfarm.cli.TaskfarmCli;

/**
 * Entry point: runs taskfarm with Camel Main. The routes are YAML files read from the file system
 * ({@code routes/} by default), chosen by role: {@code routes/coordinator/} and/or
 * {@code routes/worker/}.
 */
public final class TaskfarmApp {

    /** The routes of each role: {@code <taskfarm.routes>/coordinator}, {@code <taskfarm.routes>/worker}. */
    static final String COORDINATOR_ROUTES = "coordinator";
    static final String WORKER_ROUTES = "worker";

    private TaskfarmApp() {
    }

    /**
     * {@code taskfarm submit|status|results|cancel|jobs ...} runs the command line client (see
     * {@link TaskfarmCli}); no arguments, or options only, run the farm.
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("bench")) {
            // the benchmark is a client of the app (it starts farms with newMain()); the launcher
            // hands it the command line without depending on it
            Object exit = Class.forName("dev.taskfarm.bench.Bench").getMethod("run", String[].class)
                    .invoke(null, (Object) java.util.Arrays.copyOfRange(args, 1, args.length));
            System.exit((Integer) exit);
        }
        if (TaskfarmCli.isCommand(args)) {
            System.exit(TaskfarmCli.run(args));
        }
        int status;
        try {
            status = newMain().run(args);
        } catch (Exception e) {
            StartupFailures.exit(e);
            return;
        }
        System.exit(status);
    }

    /** A Camel Main configured for taskfarm; not started. */
    public static Main newMain() {
        Main main = new Main();
        // Camel takes a property from the first location that has it, so the most specific comes first:
        // with a profile (camel.main.profile or CAMEL_MAIN_PROFILE, e.g. dev) its
        // application-<profile>.properties (working directory, then jar), then an optional
        // application.properties in the working directory, then the jar's defaults
        String locations = "file:application.properties;optional=true,classpath:application.properties;optional=true";
        String profile = System.getProperty("camel.main.profile", System.getenv("CAMEL_MAIN_PROFILE"));
        if (profile != null && profile.matches("[A-Za-z0-9_-]+")) {
            locations = "file:application-" + profile + ".properties;optional=true,classpath:application-" + profile
                    + ".properties;optional=true," + locations;
        }
        main.setPropertyPlaceholderLocations(locations);
        // wiring per role, in this order (each may use the beans of those before it)
        main.configure().addConfiguration(BrokerBeans.class);
        main.configure().addConfiguration(SharedBeans.class);
        main.configure().addConfiguration(WorkerBeans.class);
        main.configure().addConfiguration(CoordinatorBeans.class);
        main.configure().addConfiguration(ApiBeans.class);
        main.configure().addConfiguration(DurableBeans.class);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport m) {
                Settings s = new Settings(m.getCamelContext());
                String dir = s.text("taskfarm.routes");
                Settings.Role role = s.role();
                StringBuilder pattern = new StringBuilder();
                if (role.coordinates()) {
                    pattern.append("file:").append(dir).append("/").append(COORDINATOR_ROUTES).append("/*.camel.yaml");
                }
                if (role.works()) {
                    pattern.append(pattern.isEmpty() ? "" : ",").append("file:").append(dir).append("/").append(WORKER_ROUTES)
                            .append("/*.camel.yaml");
                }
                // an explicit camel.main.routes-include-pattern still wins: it is applied after this
                m.configure().setRoutesIncludePattern(pattern.toString());
            }
        });
        return main;
    }
}
