package dev.baton.aws.emulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.baton.aws.emulator.World.ClassicLb;
import dev.baton.aws.emulator.World.ClassicMember;
import dev.baton.aws.emulator.World.HealthCheck;
import dev.baton.aws.emulator.World.Instance;
import dev.baton.aws.emulator.World.Target;
import dev.baton.aws.emulator.World.TargetGroup;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * An in-process emulator of the parts of EC2, ELBv2 and classic ELB that Baton uses, speaking
 * their wire protocols so that the real AWS SDK v2 clients talk to it through
 * {@code endpointOverride(emulator.endpoint())}.
 *
 * <p>One endpoint serves the three services: every SDK request is a form POST to {@code /}, and
 * the {@code Version} field tells them apart ({@value Ec2Api#VERSION} EC2, {@value
 * Elbv2Api#VERSION} ELBv2, {@value ElbApi#VERSION} classic ELB). Signatures are not checked.
 * State changes with time as in AWS, but fast: instances are {@code pending} for {@link
 * #setPendingTime} (100 ms by default), load balancers {@code provisioning} for {@link
 * #setLoadBalancerProvisioningTime} (100 ms), deregistered targets {@code draining} for {@link
 * #setDeregistrationDelay} (1 s). Target health stays {@code initial} until {@link
 * #probeTargetsOverHttp} probes or {@link #setTargetHealth} decide it.
 *
 * <p>Time is the JVM's monotonic clock ({@link #start()}, for tests with real agents), or virtual
 * ({@link #startVirtual}): then it moves a fixed step with every request and by {@link #advance},
 * so that what a test sees depends on what was called, not on how fast the machine is.
 *
 * <p>Thread-safe: one lock guards the emulated account; injected latency and held calls ({@link
 * #gate()}) are spent outside it.
 */
public final class AwsEmulator implements AutoCloseable {

    /**
     * One request as received (including those answered with an injected fault), at the
     * emulator's time ({@code System.nanoTime()} unless it runs on virtual time).
     */
    public record Call(String service, String action, Map<String, String> params, long nanoTime) {
        /** True unless the action only reads ({@code Describe*}). */
        public boolean mutating() {
            return !(action.startsWith("Describe") || action.startsWith("Get") || action.startsWith("Head")
                    || action.startsWith("List"));
        }
    }

    /** What the emulator holds about an instance. {@code userData} is the base64 text as sent. */
    public record InstanceInfo(String id, String state, String imageId, String instanceType, String subnetId,
                               String availabilityZone, String privateIp, List<String> securityGroupIds,
                               Map<String, String> tags, String userData, String clientToken, String keyName,
                               String iamInstanceProfile) {
    }

    private record Fault(int status, String code, String message) {
    }

    private record ProbeTarget(Object owner, Object member, String instanceId, String path, String matcher) {
    }

    private static final String REGION = "us-east-1";

    static {
        // The JDK server writes a response's headers and body in two packets; with Nagle's
        // algorithm on, each SDK call then waits for a delayed ACK (about 40 ms instead of 1 ms).
        // The setting is read once per JVM, when the first HttpServer is created, and only makes
        // the JDK's servers faster, so a test JVM may as well have it everywhere.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final World world;
    /** Virtual time, or null for the JVM's clock. */
    private final AtomicLong virtualNanos;
    private final long nanosPerRequest;
    private final Ec2Api ec2;
    private final Elbv2Api elbv2;
    private final ElbApi elb;
    private final S3Api s3;
    private final IamApi iam;
    private final SsmApi ssm;
    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Deque<Fault>> faults = new HashMap<>();
    private final Map<String, Duration> latency = new ConcurrentHashMap<>();
    private final Gate gate = new Gate();
    private final Map<String, Imds> imds = new ConcurrentHashMap<>();
    private ScheduledExecutorService prober;
    private HttpClient probeClient;

    private AwsEmulator(AtomicLong virtualNanos, Duration perRequest) throws IOException {
        this.virtualNanos = virtualNanos;
        this.nanosPerRequest = perRequest.toNanos();
        this.world = new World(REGION, virtualNanos == null ? System::nanoTime : virtualNanos::get);
        this.ec2 = new Ec2Api(world);
        this.elbv2 = new Elbv2Api(world);
        this.elb = new ElbApi(world);
        this.s3 = new S3Api(world);
        this.iam = new IamApi(world);
        this.ssm = new SsmApi(world);
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "aws-emulator-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
    }

    /** Starts an emulator on 127.0.0.1 and a free port. Close it to stop it and its probes. */
    public static AwsEmulator start() throws IOException {
        return new AwsEmulator(null, Duration.ZERO);
    }

    /**
     * Starts an emulator on virtual time: it moves {@code perRequest} with every API request
     * (so that polling a pending instance ends) and by {@link #advance}, never by itself.
     */
    public static AwsEmulator startVirtual(Duration perRequest) throws IOException {
        return new AwsEmulator(new AtomicLong(), perRequest);
    }

    /** Moves virtual time on by {@code d} (a test's sleep); only for {@link #startVirtual}. */
    public void advance(Duration d) {
        if (virtualNanos == null) {
            throw new IllegalStateException("the emulator runs on real time");
        }
        virtualNanos.addAndGet(d.toNanos());
    }

    /** The one endpoint for the EC2, ELBv2 and classic ELB clients ({@code http://127.0.0.1:PORT}). */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The region the emulated resources live in: {@code us-east-1} (any region the SDK sends is accepted). */
    public String region() {
        return REGION;
    }

    // ------------------------------------------------------------------ seeding

    /**
     * The CIDR of the default VPC, before it is first used (10.0.0.0/16 otherwise). The first-boot
     * test gives 127.0.0.0/16, so that the instances' addresses are loopback addresses of this machine.
     */
    public void setDefaultVpcCidr(String cidr) {
        synchronized (world) {
            World.parseCidr(cidr);
            world.defaultVpcCidr = cidr;
        }
    }

    /** Adds a subnet to the default VPC; DescribeSubnets and DescribeVpcs answer it. Returns its id. */
    public String addSubnet(String availabilityZone, String cidr) {
        synchronized (world) {
            return ec2.addSubnet(availabilityZone, cidr).id;
        }
    }

    /** The id of the default VPC (which holds the subnets added by {@link #addSubnet}). */
    public String defaultVpcId() {
        synchronized (world) {
            return world.defaultVpc().id;
        }
    }

    /**
     * Adds an instance directly in state {@code running}, in the first subnet whose CIDR holds
     * {@code privateIp} (else the first subnet). Returns its {@code i-…} id.
     */
    public String addRunningInstance(String privateIp, Map<String, String> tags) {
        synchronized (world) {
            return ec2.addRunningInstance(privateIp, tags).id;
        }
    }

    /**
     * Creates a TCP target group of type instance in the default VPC, health-checked over HTTP
     * on {@code healthCheckPort} and {@code healthCheckPath}, interval 5 s, thresholds 2/2,
     * timeout 2 s: the same state CreateTargetGroup makes. Returns its ARN.
     */
    public String createTargetGroup(String name, int port, int healthCheckPort, String healthCheckPath) {
        synchronized (world) {
            for (TargetGroup tg : world.targetGroups.values()) {
                if (tg.name.equals(name)) {
                    throw new IllegalArgumentException("target group " + name + " exists");
                }
            }
            return elbv2.newTargetGroup(name, "TCP", port, world.defaultVpc().id, "instance", new HealthCheck("HTTP",
                    Integer.toString(healthCheckPort), healthCheckPath, true, 5, 2, 2, 2, "200-399")).arn;
        }
    }

    /** Creates a classic load balancer (TCP 5432) health-checked with {@code HTTP:port/path}, 5 s, 2/2. */
    public void createClassicLoadBalancer(String name, int healthCheckPort, String healthCheckPath) {
        synchronized (world) {
            elb.create(name, healthCheckPort, healthCheckPath);
        }
    }

    // ------------------------------------------------------------------ timing

    /** Sets every timed transition (pending, shutting-down, provisioning, draining) to {@code d}. */
    public void setTransitionTimes(Duration d) {
        setPendingTime(d);
        setShutdownTime(d);
        setLoadBalancerProvisioningTime(d);
        setDeregistrationDelay(d);
    }

    /** How long RunInstances leaves instances {@code pending} before they are {@code running}. */
    public void setPendingTime(Duration d) {
        synchronized (world) {
            world.pendingNanos = d.toNanos();
        }
    }

    /** How long terminated instances stay {@code shutting-down} (100 ms by default). */
    public void setShutdownTime(Duration d) {
        synchronized (world) {
            world.shutdownNanos = d.toNanos();
        }
    }

    /** How long a new load balancer stays {@code provisioning} before {@code active} (100 ms by default). */
    public void setLoadBalancerProvisioningTime(Duration d) {
        synchronized (world) {
            world.lbProvisioningNanos = d.toNanos();
        }
    }

    /**
     * How long a deregistered target stays {@code draining} before it is gone (then described as
     * {@code unused}, reason Target.NotRegistered); 1 s by default. It applies to every target
     * group: the groups' deregistration_delay.timeout_seconds attribute is stored and reported
     * but, being whole seconds up to an hour, does not drive the emulator's clock.
     */
    public void setDeregistrationDelay(Duration d) {
        synchronized (world) {
            world.deregistrationNanos = d.toNanos();
        }
    }

    // ------------------------------------------------------------------ health

    /**
     * Starts probing (replacing an earlier prober): every {@code interval}, each registered,
     * non-draining target of every target group whose instance is running gets a real {@code GET
     * <base><healthCheckPath>}, where base is {@code baseUrl.apply(instanceId)} (e.g.
     * {@code http://127.0.0.1:8008}; null skips the instance). A status the group's matcher
     * accepts (200-399 by default) is a success; other statuses, refused connections and
     * timeouts are failures. {@code HealthyThresholdCount} successes in a row make a target
     * {@code healthy}, {@code UnhealthyThresholdCount} failures {@code unhealthy}. Classic load
     * balancers' instances are probed the same way ({@code InService}/{@code OutOfService}, 2/2).
     * The probe timeout is the interval, at least 200 ms.
     */
    public void probeTargetsOverHttp(Function<String, URI> baseUrl, Duration interval) {
        probeTargetsOverHttp(baseUrl, interval, null);
    }

    /**
     * As {@link #probeTargetsOverHttp(Function, Duration)}, with HTTPS URLs trusted by {@code tls}
     * (as an HTTPS health check; null for the JDK's defaults).
     */
    public void probeTargetsOverHttp(Function<String, URI> baseUrl, Duration interval, javax.net.ssl.SSLContext tls) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        Duration timeout = interval.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : interval;
        synchronized (this) {
            stopProbing();
            HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout).executor(executor);
            if (tls != null) {
                builder.sslContext(tls);
            }
            probeClient = builder.build();
            prober = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "aws-emulator-prober");
                t.setDaemon(true);
                return t;
            });
            HttpClient client = probeClient;
            prober.scheduleWithFixedDelay(() -> probeOnce(client, baseUrl, timeout), 0, interval.toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    /** Stops the prober started by {@link #probeTargetsOverHttp}; health states stay as they are. */
    public synchronized void stopProbing() {
        if (prober != null) {
            prober.shutdownNow();
            prober = null;
        }
    }

    private void probeOnce(HttpClient client, Function<String, URI> baseUrl, Duration timeout) {
        try {
            List<ProbeTarget> targets = new ArrayList<>();
            synchronized (world) {
                world.tick();
                for (TargetGroup tg : world.targetGroups.values()) {
                    if (!tg.healthCheck.enabled()) {
                        continue;
                    }
                    for (Target t : tg.registered()) {
                        if (running(t.id)) {
                            targets.add(new ProbeTarget(tg, t, t.id,
                                    tg.healthCheck.protocol().equals("TCP") ? null : tg.healthCheck.path(),
                                    tg.healthCheck.matcher()));
                        }
                    }
                }
                for (ClassicLb lb : world.classicLbs.values()) {
                    for (ClassicMember m : lb.members.values()) {
                        if (running(m.id)) {
                            targets.add(new ProbeTarget(lb, m, m.id, lb.healthCheckPath, "200"));
                        }
                    }
                }
            }
            List<CompletableFuture<String>> results = new ArrayList<>();
            for (ProbeTarget p : targets) {
                URI base;
                try {
                    base = baseUrl.apply(p.instanceId());
                } catch (RuntimeException e) {
                    base = null;
                }
                if (base == null) {
                    results.add(CompletableFuture.completedFuture(null));
                    continue;
                }
                String b = base.toString().replaceAll("/+$", "");
                HttpRequest req = HttpRequest.newBuilder(URI.create(b + (p.path() == null ? "/" : p.path())))
                        .timeout(timeout).GET().build();
                results.add(client.sendAsync(req, HttpResponse.BodyHandlers.discarding())
                        .handle((resp, err) -> outcome(resp, err, p)));
            }
            List<String> outcomes = new ArrayList<>();
            for (CompletableFuture<String> f : results) {
                outcomes.add(f.join());
            }
            synchronized (world) {
                for (int i = 0; i < targets.size(); i++) {
                    if (outcomes.get(i) != null) {
                        apply(targets.get(i), outcomes.get(i));
                    }
                }
            }
        } catch (RuntimeException e) {
            // A prober must survive anything one round throws; the next round starts afresh.
        }
    }

    private boolean running(String instanceId) {
        Instance i = world.instances.get(instanceId);
        return i != null && i.state.equals("running");
    }

    /** "ok", or the failure as "Reason|Description". */
    private static String outcome(HttpResponse<Void> resp, Throwable err, ProbeTarget p) {
        if (err != null) {
            Throwable c = err.getCause() != null ? err.getCause() : err;
            if (c instanceof HttpTimeoutException) {
                return "Target.Timeout|Request timed out";
            }
            if (c instanceof ConnectException) {
                return "Target.FailedHealthChecks|Health checks failed: connection refused";
            }
            return "Target.FailedHealthChecks|Health checks failed: " + c.getClass().getSimpleName();
        }
        if (p.path() == null || codeMatches(p.matcher(), resp.statusCode())) {
            return "ok";
        }
        return "Target.ResponseCodeMismatch|Health checks failed with these codes: [" + resp.statusCode() + "]";
    }

    static boolean codeMatches(String matcher, int code) {
        for (String part : (matcher == null ? "200-399" : matcher).split(",")) {
            String[] r = part.trim().split("-");
            int lo = Integer.parseInt(r[0]);
            int hi = r.length > 1 ? Integer.parseInt(r[1]) : lo;
            if (code >= lo && code <= hi) {
                return true;
            }
        }
        return false;
    }

    private void apply(ProbeTarget p, String outcome) {
        boolean ok = outcome.equals("ok");
        String reason = ok ? null : outcome.substring(0, outcome.indexOf('|'));
        String description = ok ? null : outcome.substring(outcome.indexOf('|') + 1);
        if (p.owner() instanceof TargetGroup tg) {
            Target t = (Target) p.member();
            if (!tg.targets.containsValue(t) || t.state.equals("draining")) {
                return;
            }
            if (ok) {
                t.successes++;
                t.failures = 0;
                if (!t.state.equals("healthy") && t.successes >= tg.healthCheck.healthyThreshold()) {
                    t.set("healthy", null, null);
                } else if (t.state.equals("initial")) {
                    t.set("initial", "Elb.InitialHealthChecking", "Initial health checks in progress");
                }
            } else {
                t.failures++;
                t.successes = 0;
                if (t.state.equals("unhealthy") || t.failures >= tg.healthCheck.unhealthyThreshold()) {
                    t.set("unhealthy", reason, description);
                } else if (t.state.equals("initial")) {
                    t.set("initial", "Elb.InitialHealthChecking", "Initial health checks in progress");
                }
            }
        } else if (p.owner() instanceof ClassicLb lb) {
            ClassicMember m = (ClassicMember) p.member();
            if (lb.members.get(m.id) != m) {
                return;
            }
            if (ok) {
                m.successes++;
                m.failures = 0;
                if (m.successes >= lb.healthyThreshold) {
                    m.set("InService", "N/A", "N/A");
                }
            } else {
                m.failures++;
                m.successes = 0;
                if (m.failures >= lb.unhealthyThreshold) {
                    m.set("OutOfService", "Instance", "Instance has failed at least the UnhealthyThreshold number "
                            + "of health checks consecutively.");
                }
            }
        }
    }

    /**
     * Test hook: sets the health of a registered target at once ({@code initial}, {@code healthy},
     * {@code unhealthy}); {@code draining} deregisters it (gone after the deregistration delay),
     * {@code unused} removes it at once. A running prober may change it again.
     */
    public void setTargetHealth(String targetGroupArn, String instanceId, String state) {
        synchronized (world) {
            world.tick();
            TargetGroup tg = requireGroup(targetGroupArn);
            Target t = tg.targets.values().stream().filter(c -> c.id.equals(instanceId)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(instanceId + " is not registered in " + targetGroupArn));
            t.successes = 0;
            t.failures = 0;
            switch (state) {
                case "initial" -> t.set("initial", "Elb.InitialHealthChecking", "Initial health checks in progress");
                case "healthy" -> t.set("healthy", null, null);
                case "unhealthy" -> t.set("unhealthy", "Target.FailedHealthChecks", "Health checks failed");
                case "draining" -> t.drain(world.nanos.getAsLong() + world.deregistrationNanos);
                case "unused" -> tg.targets.values().remove(t);
                default -> throw new IllegalArgumentException("state must be initial, healthy, unhealthy, unused or "
                        + "draining: " + state);
            }
        }
    }

    /** Test hook: sets a classic load balancer instance's state ({@code InService} or {@code OutOfService}). */
    public void setClassicInstanceHealth(String loadBalancerName, String instanceId, String state) {
        synchronized (world) {
            ClassicLb lb = requireClassic(loadBalancerName);
            ClassicMember m = lb.members.get(instanceId);
            if (m == null) {
                throw new IllegalArgumentException(instanceId + " is not registered with " + loadBalancerName);
            }
            switch (state) {
                case "InService" -> m.set("InService", "N/A", "N/A");
                case "OutOfService" -> m.set("OutOfService", "Instance", "Instance has failed at least the "
                        + "UnhealthyThreshold number of health checks consecutively.");
                default -> throw new IllegalArgumentException("state must be InService or OutOfService: " + state);
            }
        }
    }

    /** Test hook: the instance dies at once (state terminated, its targets start draining). */
    public void terminateInstanceNow(String instanceId) {
        synchronized (world) {
            ec2.terminateNow(instanceId);
            world.tick();
        }
    }

    // ------------------------------------------------------------------ S3 and IAM

    /** The buckets of the emulated account, by name. */
    public List<String> bucketNames() {
        synchronized (world) {
            return List.copyOf(s3.buckets.keySet());
        }
    }

    /** Makes {@code name} a bucket of another account: CreateBucket answers BucketAlreadyExists, HeadBucket 403. */
    public void addForeignBucket(String name) {
        synchronized (world) {
            s3.foreign.add(name);
        }
    }

    /** Creates a bucket directly, with no encryption, public access block or tags (a user's own bucket). */
    public void addBucket(String name) {
        synchronized (world) {
            s3.buckets.put(name, new S3Api.Bucket(name, REGION));
        }
    }

    /** Puts an object into a bucket (the emulator has no PutObject). */
    public void putObject(String bucket, String key, String content) {
        synchronized (world) {
            s3.putObject(bucket, key, S3Api.utf8(content));
        }
    }

    /** The object keys of a bucket, in order. */
    public List<String> objectKeys(String bucket) {
        synchronized (world) {
            S3Api.Bucket b = s3.buckets.get(bucket);
            return b == null ? List.of() : List.copyOf(b.objects.keySet());
        }
    }

    /** A bucket's encryption configuration, public access block (XML as sent) and tags; null when there is no bucket. */
    public record BucketInfo(String encryption, String publicAccessBlock, Map<String, String> tags) {
    }

    public BucketInfo bucket(String name) {
        synchronized (world) {
            S3Api.Bucket b = s3.buckets.get(name);
            return b == null ? null : new BucketInfo(b.encryption, b.publicAccessBlock, Map.copyOf(b.tags));
        }
    }

    /** The names of the IAM roles. */
    public List<String> roleNames() {
        synchronized (world) {
            return List.copyOf(iam.roles.keySet());
        }
    }

    /** A role's inline policy document (as sent), or null. */
    public String rolePolicy(String role, String policy) {
        synchronized (world) {
            IamApi.Role r = iam.roles.get(role);
            return r == null ? null : r.policies.get(policy);
        }
    }

    /** A role's tags, or null when there is no such role. */
    public Map<String, String> roleTags(String role) {
        synchronized (world) {
            IamApi.Role r = iam.roles.get(role);
            return r == null ? null : Map.copyOf(r.tags);
        }
    }

    /** The roles in an instance profile, or null when there is no such profile. */
    public List<String> instanceProfileRoles(String profile) {
        synchronized (world) {
            IamApi.Profile p = iam.profiles.get(profile);
            return p == null ? null : List.copyOf(p.roles);
        }
    }

    // ------------------------------------------------------------------ faults

    /**
     * The next {@code times} calls of {@code action} fail with this status and error code
     * (before they change anything). {@code action} is an action name ({@code RunInstances}),
     * optionally qualified by the service ({@code elb:DescribeLoadBalancers}, {@code
     * elbv2:DescribeLoadBalancers}, {@code ec2:…}) where the name alone would match both ELBs.
     */
    public void failNext(String action, int times, int httpStatus, String errorCode, String message) {
        synchronized (faults) {
            Deque<Fault> q = faults.computeIfAbsent(action, k -> new ArrayDeque<>());
            for (int i = 0; i < times; i++) {
                q.add(new Fault(httpStatus, errorCode, message));
            }
        }
    }

    /**
     * The next {@code times} calls of {@code action} are throttled as AWS does: EC2 with 503
     * {@code RequestLimitExceeded}, ELB with 400 {@code Throttling}. The SDK retries both.
     */
    public void throttleNext(String action, int times) {
        synchronized (faults) {
            Deque<Fault> q = faults.computeIfAbsent(action, k -> new ArrayDeque<>());
            for (int i = 0; i < times; i++) {
                q.add(new Fault(-1, "throttle", "Rate exceeded"));
            }
        }
    }

    /** Every call of {@code action} (qualified as in {@link #failNext}) waits {@code d} first; zero removes it. */
    public void setLatency(String action, Duration d) {
        if (d.isZero()) {
            latency.remove(action);
        } else {
            latency.put(action, d);
        }
    }

    /**
     * Where calls can be held: a call of a held action (by name, any service) waits after it is
     * recorded and before anything else, until the test lets it go.
     */
    public Gate gate() {
        return gate;
    }

    private Fault nextFault(String service, String action) {
        synchronized (faults) {
            for (String key : List.of(service + ":" + action, action)) {
                Deque<Fault> q = faults.get(key);
                if (q != null && !q.isEmpty()) {
                    return q.poll();
                }
            }
            return null;
        }
    }

    // ------------------------------------------------------------------ observation

    /** Every request received so far, oldest first. */
    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /** The calls of one action (any service), oldest first. */
    public List<Call> calls(String action) {
        return calls().stream().filter(c -> c.action().equals(action)).toList();
    }

    /** Forgets the recorded calls. */
    public void clearCalls() {
        calls.clear();
    }

    /** The ids of the targets registered in the group and not draining, in registration order. */
    public List<String> registeredTargets(String targetGroupArn) {
        synchronized (world) {
            world.tick();
            return requireGroup(targetGroupArn).registered().stream().map(t -> t.id).distinct().toList();
        }
    }

    /** A target's health state as DescribeTargetHealth would say it ({@code unused} when not registered). */
    public String targetHealth(String targetGroupArn, String instanceId) {
        synchronized (world) {
            world.tick();
            return requireGroup(targetGroupArn).targets.values().stream().filter(t -> t.id.equals(instanceId))
                    .map(t -> t.state).findFirst().orElse("unused");
        }
    }

    /** The instances registered with a classic load balancer. */
    public List<String> classicInstances(String loadBalancerName) {
        synchronized (world) {
            world.tick();
            return List.copyOf(requireClassic(loadBalancerName).members.keySet());
        }
    }

    /** A classic load balancer instance's state, {@code InService} or {@code OutOfService}. */
    public String classicInstanceHealth(String loadBalancerName, String instanceId) {
        synchronized (world) {
            ClassicMember m = requireClassic(loadBalancerName).members.get(instanceId);
            if (m == null) {
                throw new IllegalArgumentException(instanceId + " is not registered with " + loadBalancerName);
            }
            return m.state;
        }
    }

    /** Every instance, terminated ones included, in launch order. */
    public List<InstanceInfo> instances() {
        synchronized (world) {
            world.tick();
            return world.instances.values().stream().map(AwsEmulator::info).toList();
        }
    }

    /** One instance; IllegalArgumentException if unknown. */
    public InstanceInfo instance(String instanceId) {
        synchronized (world) {
            world.tick();
            Instance i = world.instances.get(instanceId);
            if (i == null) {
                throw new IllegalArgumentException("no instance " + instanceId);
            }
            return info(i);
        }
    }

    private static InstanceInfo info(Instance i) {
        return new InstanceInfo(i.id, i.state, i.imageId, i.instanceType, i.subnetId, i.az, i.privateIp, i.groupIds,
                Map.copyOf(i.tags), i.userData, i.clientToken, i.keyName, i.iamInstanceProfile);
    }

    /** The ARN of the target group named {@code name}; IllegalArgumentException if none. */
    public String targetGroupArn(String name) {
        synchronized (world) {
            return world.targetGroups.values().stream().filter(tg -> tg.name.equals(name)).map(tg -> tg.arn)
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("no target group " + name));
        }
    }

    /** A target group attribute's value (e.g. {@code deregistration_delay.timeout_seconds}). */
    public String targetGroupAttribute(String targetGroupArn, String key) {
        synchronized (world) {
            return requireGroup(targetGroupArn).attributes.get(key);
        }
    }

    /**
     * What the account holds besides the seeded network: instances not terminated, security
     * groups, load balancers, target groups and listeners, as "kind id" lines. Empty once a
     * cluster is deleted.
     */
    public List<String> liveResources() {
        synchronized (world) {
            world.tick();
            List<String> out = new ArrayList<>();
            world.instances.values().stream().filter(Instance::live).forEach(i -> out.add("instance " + i.id));
            world.securityGroups.keySet().forEach(id -> out.add("security-group " + id));
            world.loadBalancers.keySet().forEach(arn -> out.add("load-balancer " + arn));
            world.targetGroups.keySet().forEach(arn -> out.add("target-group " + arn));
            world.listeners.keySet().forEach(arn -> out.add("listener " + arn));
            return out;
        }
    }

    /**
     * Everything of {@link #liveResources} plus the buckets, IAM roles and instance profiles, and
     * the SSM parameters (the public ones aside): empty once a cluster is deleted with its bucket.
     */
    public List<String> leftovers() {
        List<String> out = new ArrayList<>(liveResources());
        synchronized (world) {
            s3.buckets.keySet().forEach(b -> out.add("bucket " + b));
            iam.roles.keySet().forEach(r -> out.add("role " + r));
            iam.profiles.keySet().forEach(p -> out.add("instance-profile " + p));
            ssm.ownNames().forEach(n -> out.add("parameter " + n));
        }
        return out;
    }

    /** The SSM parameters made (the public ones aside), by name. */
    public List<String> parameterNames() {
        synchronized (world) {
            return ssm.ownNames();
        }
    }

    /** A parameter's type ({@code String}, {@code SecureString}) and value, or null. */
    public record ParameterInfo(String type, String value, Map<String, String> tags) {
    }

    public ParameterInfo parameter(String name) {
        synchronized (world) {
            SsmApi.Parameter p = ssm.parameters.get(name);
            return p == null ? null : new ParameterInfo(p.type(), p.value(), p.tags());
        }
    }

    /** The public SSM parameter of the current Debian 12 image, and the image id it answers. */
    public static final String DEBIAN_AMI_PARAMETER = SsmApi.DEBIAN_AMI_PARAMETER;
    public static final String DEBIAN_AMI = SsmApi.DEBIAN_AMI;

    /** An object's bytes, or null. */
    public byte[] object(String bucket, String key) {
        synchronized (world) {
            S3Api.Bucket b = s3.buckets.get(bucket);
            return b == null ? null : b.objects.get(key);
        }
    }

    private TargetGroup requireGroup(String arn) {
        TargetGroup tg = world.targetGroups.get(arn);
        if (tg == null) {
            throw new IllegalArgumentException("no target group " + arn);
        }
        return tg;
    }

    private ClassicLb requireClassic(String name) {
        ClassicLb lb = world.classicLbs.get(name);
        if (lb == null) {
            throw new IllegalArgumentException("no classic load balancer " + name);
        }
        return lb;
    }

    // ------------------------------------------------------------------ IMDS

    /**
     * The base URI ({@code http://127.0.0.1:PORT}) of an IMDSv2 server answering as that
     * instance; the same server for repeated calls. See {@link Imds} for what it answers.
     */
    public URI imds(String instanceId) {
        Imds server = imds.computeIfAbsent(instanceId, id -> {
            synchronized (world) {
                Instance i = world.instances.get(id);
                if (i == null) {
                    throw new IllegalArgumentException("no instance " + id);
                }
                return new Imds(i.id, world.region, i.az, i.privateIp, i.iamInstanceProfile, executor, world.nanos);
            }
        });
        return server.uri();
    }

    // ------------------------------------------------------------------ HTTP

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] raw = ex.getRequestBody().readAllBytes();
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            if (target != null && target.startsWith(SsmApi.TARGET_PREFIX)) {
                serveSsm(ex, target.substring(SsmApi.TARGET_PREFIX.length()), raw);
                return;
            }
            if (!ex.getRequestMethod().equals("POST") || !ex.getRequestURI().getRawPath().equals("/")) {
                serveS3(ex, raw);
                return;
            }
            Map<String, String> form = new LinkedHashMap<>();
            if (ex.getRequestURI().getRawQuery() != null) {
                form.putAll(Query.parseForm(ex.getRequestURI().getRawQuery()));
            }
            form.putAll(Query.parseForm(new String(raw, StandardCharsets.UTF_8)));
            String version = form.getOrDefault("Version", "");
            String action = form.getOrDefault("Action", "");
            String service = switch (version) {
                case Ec2Api.VERSION -> "ec2";
                case Elbv2Api.VERSION -> "elbv2";
                case ElbApi.VERSION -> "elb";
                case IamApi.VERSION -> "iam";
                default -> null;
            };
            if (service == null) {
                respondError(ex, "elbv2", new ApiError(400, "NoSuchVersion", "The requested version ("
                        + version + ") of service is invalid"));
                return;
            }
            if (action.isEmpty()) {
                respondError(ex, service, ApiError.bad("MissingAction", "The request must contain the parameter Action"));
                return;
            }
            if (virtualNanos != null) {
                virtualNanos.addAndGet(nanosPerRequest);
            }
            calls.add(new Call(service, action, Collections.unmodifiableMap(new LinkedHashMap<>(form)),
                    world.nanos.getAsLong()));
            Duration delay = latency.getOrDefault(service + ":" + action, latency.get(action));
            if (delay != null) {
                try {
                    Thread.sleep(delay.toMillis(), delay.toNanosPart() % 1_000_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            try {
                gate.pass(action);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            Fault f = nextFault(service, action);
            if (f != null) {
                ApiError e = f.status() >= 0 ? new ApiError(f.status(), f.code(), f.message())
                        : service.equals("ec2") ? new ApiError(503, "RequestLimitExceeded", "Request limit exceeded.")
                        : new ApiError(400, "Throttling", "Rate exceeded");
                respondError(ex, service, e);
                return;
            }
            String missing = service.equals("ec2") ? "MissingParameter" : "ValidationError";
            Query q = new Query(form, missing);
            Xml x = new Xml();
            try {
                synchronized (world) {
                    world.tick();
                    switch (service) {
                        case "ec2" -> ec2.handle(action, q, x);
                        case "elbv2" -> elbv2.handle(action, q, x);
                        case "iam" -> iam.handle(action, q, x);
                        default -> elb.handle(action, q, x);
                    }
                }
            } catch (ApiError e) {
                respondError(ex, service, e);
                return;
            } catch (RuntimeException e) {
                respondError(ex, service, new ApiError(500, "InternalError", "emulator bug: " + e));
                return;
            }
            String requestId = UUID.randomUUID().toString();
            String body = service.equals("ec2")
                    ? "<" + action + "Response xmlns=\"" + Ec2Api.NAMESPACE + "\"><requestId>" + requestId
                            + "</requestId>" + x + "</" + action + "Response>"
                    : "<" + action + "Response xmlns=\"" + namespace(service)
                            + "\"><" + action + "Result>" + x + "</" + action + "Result><ResponseMetadata><RequestId>"
                            + requestId + "</RequestId></ResponseMetadata></" + action + "Response>";
            respond(ex, 200, body);
        }
    }

    private static void respondError(HttpExchange ex, String service, ApiError e) throws IOException {
        String requestId = UUID.randomUUID().toString();
        String body;
        if (service.equals("ec2")) {
            body = "<Response><Errors><Error><Code>" + Xml.escape(e.code) + "</Code><Message>"
                    + Xml.escape(String.valueOf(e.getMessage())) + "</Message></Error></Errors><RequestID>" + requestId
                    + "</RequestID></Response>";
        } else {
            String ns = namespace(service);
            body = "<ErrorResponse xmlns=\"" + ns + "\"><Error><Type>" + (e.status >= 500 ? "Receiver" : "Sender")
                    + "</Type><Code>" + Xml.escape(e.code) + "</Code><Message>" + Xml.escape(String.valueOf(e.getMessage()))
                    + "</Message></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>";
        }
        respond(ex, e.status, body);
    }

    private static String namespace(String service) {
        return switch (service) {
            case "elb" -> ElbApi.NAMESPACE;
            case "iam" -> IamApi.NAMESPACE;
            default -> Elbv2Api.NAMESPACE;
        };
    }

    /** An SSM request (AWS JSON 1.1): the action from X-Amz-Target, a JSON body, a JSON answer or error. */
    private void serveSsm(HttpExchange ex, String action, byte[] raw) throws IOException {
        String body = new String(raw, StandardCharsets.UTF_8);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("Body", body);
        if (virtualNanos != null) {
            virtualNanos.addAndGet(nanosPerRequest);
        }
        calls.add(new Call("ssm", action, Collections.unmodifiableMap(params), world.nanos.getAsLong()));
        Fault f = nextFault("ssm", action);
        String reply;
        int status = 200;
        try {
            if (f != null) {
                throw new SsmApi.SsmError(f.status() >= 0 ? f.status() : 400, f.status() >= 0 ? f.code()
                        : "ThrottlingException", f.status() >= 0 ? f.message() : "Rate exceeded");
            }
            synchronized (world) {
                reply = ssm.handle(action, SsmApi.parse(body));
            }
        } catch (SsmApi.SsmError e) {
            status = e.status;
            reply = e.json();
        } catch (RuntimeException e) {
            status = 500;
            reply = new SsmApi.SsmError(500, "InternalServerError", "emulator bug: " + e).json();
        }
        byte[] b = reply.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        ex.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    /** An S3 request: path-style {@code /BUCKET[/KEY]?SUBRESOURCE}, REST-XML. */
    private void serveS3(HttpExchange ex, byte[] raw) throws IOException {
        String path = ex.getRequestURI().getPath();
        String rest = path.startsWith("/") ? path.substring(1) : path;
        int slash = rest.indexOf('/');
        String bucket = rest.isEmpty() ? null : slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 || slash == rest.length() - 1 ? null : rest.substring(slash + 1);
        Map<String, String> query = ex.getRequestURI().getRawQuery() == null ? Map.of()
                : Query.parseForm(ex.getRequestURI().getRawQuery());
        String method = ex.getRequestMethod();
        String action = S3Api.action(method, bucket, key, query);
        Map<String, String> params = new LinkedHashMap<>(query);
        if (bucket != null) {
            params.put("Bucket", bucket);
        }
        if (virtualNanos != null) {
            virtualNanos.addAndGet(nanosPerRequest);
        }
        calls.add(new Call("s3", action, Collections.unmodifiableMap(params), world.nanos.getAsLong()));
        String requestId = UUID.randomUUID().toString();
        ex.getResponseHeaders().set("x-amz-request-id", requestId);
        S3Api.Reply reply;
        Fault f = nextFault("s3", action);
        try {
            if (f != null) {
                throw new S3Api.S3Error(f.status() >= 0 ? f.status() : 503, f.status() >= 0 ? f.code() : "SlowDown",
                        f.status() >= 0 ? f.message() : "Please reduce your request rate.", bucket);
            }
            synchronized (world) {
                world.tick();
                if (key != null) {
                    S3Api.ObjectReply o = s3.object(action, bucket, key, S3Api.payload(raw,
                            ex.getRequestHeaders().getFirst("x-amz-content-sha256"),
                            ex.getRequestHeaders().getFirst("Content-Encoding")));
                    if (o.data() != null && !method.equals("HEAD")) {
                        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                        ex.getResponseHeaders().set("ETag", "\"" + o.etag() + "\"");
                        ex.sendResponseHeaders(o.status(), o.data().length == 0 ? -1 : o.data().length);
                        ex.getResponseBody().write(o.data());
                    } else {
                        if (o.etag() != null) {
                            ex.getResponseHeaders().set("ETag", "\"" + o.etag() + "\"");
                        }
                        if (o.data() != null) {
                            ex.getResponseHeaders().set("Content-Length", Integer.toString(o.data().length));
                        }
                        ex.sendResponseHeaders(o.status(), -1);
                    }
                    return;
                }
                reply = s3.handle(action, bucket, query, new String(raw, StandardCharsets.UTF_8));
            }
        } catch (S3Api.S3Error e) {
            if (method.equals("HEAD")) {
                ex.sendResponseHeaders(e.status, -1);
            } else {
                respond(ex, e.status, e.xml(requestId));
            }
            return;
        } catch (RuntimeException e) {
            respond(ex, 500, new S3Api.S3Error(500, "InternalError", "emulator bug: " + e, bucket).xml(requestId));
            return;
        }
        if (reply.body() == null) {
            ex.sendResponseHeaders(reply.status(), -1);
        } else {
            respond(ex, reply.status(), reply.body());
        }
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/xml;charset=UTF-8");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    /** Stops the server, the prober and the IMDS servers. */
    @Override
    public void close() {
        gate.releaseAll();
        stopProbing();
        server.stop(0);
        imds.values().forEach(Imds::close);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "AwsEmulator[" + endpoint() + "]";
    }
}
