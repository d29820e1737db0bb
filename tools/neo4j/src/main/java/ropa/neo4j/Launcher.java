package ropa.neo4j;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * A Neo4j 5 Community server for the project's own use: Bolt on 127.0.0.1 only (a port the
 * system picks, so two servers never collide), authentication on, the password of user
 * {@code neo4j} set from the environment variable ROPA_NEO4J_PASSWORD (never an argument,
 * which other users of the machine could read), no HTTP connector.
 *
 * <pre>java -cp ... ropa.neo4j.Launcher HOME_DIR READY_FILE [PAGECACHE_MB]</pre>
 *
 * When Bolt listens, the port is written to READY_FILE (atomically); the process then runs
 * until it is sent SIGTERM, and shuts the databases down cleanly.
 *
 * <p>If ROPA_NEO4J_OWNER_PID names a process (a test session), the server also stops, the same
 * clean way, once that process has gone: a test run killed with SIGKILL cannot stop its server,
 * and a 1 GB JVM would otherwise outlive it. {@link ProcessHandle#isAlive()} compares the
 * process's start time, so an id reused by a later process does not keep the server alive.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Launcher HOME_DIR READY_FILE [PAGECACHE_MB]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path ready = Path.of(args[1]).toAbsolutePath();
        long pagecacheMb = args.length > 2 ? Long.parseLong(args[2]) : 256;
        String password = System.getenv("ROPA_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("ROPA_NEO4J_PASSWORD must be set (8 characters or more)");
            System.exit(2);
        }

        watchOwner(System.getenv("ROPA_NEO4J_OWNER_PID"));

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMb))
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "ropa-neo4j-shutdown"));

        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        // Embedded calls are not authenticated: set (or reset) the password the caller chose.
        system.executeTransactionally("ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));

        ConnectorPortRegister ports = ((GraphDatabaseAPI) system).getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class);
        int port = ports.getLocalAddress(ConnectorType.BOLT).getPort();
        writeAtomically(ready, Integer.toString(port) + "\n");
        System.out.println("Neo4j " + org.neo4j.kernel.internal.Version.getNeo4jVersion()
                + " listening on bolt://127.0.0.1:" + port + " (home " + home + ")");
        System.out.flush();
        stopped.await();
    }

    private static void watchOwner(String owner) {
        if (owner == null || owner.isBlank()) {
            return;
        }
        ProcessHandle handle = ProcessHandle.of(Long.parseLong(owner.trim())).orElse(null);
        Thread watch = new Thread(() -> {
            while (handle != null && handle.isAlive()) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.out.println("owner process " + owner.trim() + " has gone: stopping");
            System.out.flush();
            System.exit(0); // runs the shutdown hook: the databases close cleanly
        }, "ropa-neo4j-owner-watch");
        watch.setDaemon(true);
        watch.start();
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".part");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
