package dev.baton.cli.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.aws.provision.ClusterStatus;
import dev.baton.aws.provision.ProvisionReport;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON the aws commands print: its keys are an interface for scripts. */
class OutputTest {

    @Test
    void describeJsonNamesEveryMembersFieldInSnakeCaseInOrder() {
        ClusterStatus st = new ClusterStatus("demo", "sg-1", "arn:tg", "arn:lb", "lb.example", "active", "TCP 5432",
                List.of(new ClusterStatus.Member("demo-1", "i-1", "us-east-1a", "10.0.1.4", "running", "primary",
                        "unhealthy", "Target.FailedHealthChecks")), List.of("x"));
        assertEquals("{\"cluster\":\"demo\",\"region\":\"us-east-1\",\"security_group\":\"sg-1\","
                + "\"target_group_arn\":\"arn:tg\",\"load_balancer_arn\":\"arn:lb\",\"load_balancer_dns\":\"lb.example\","
                + "\"load_balancer_state\":\"active\",\"listener\":\"TCP 5432\",\"members\":[{\"member\":\"demo-1\","
                + "\"instance_id\":\"i-1\",\"availability_zone\":\"us-east-1a\",\"private_ip\":\"10.0.1.4\","
                + "\"state\":\"running\",\"role\":\"primary\",\"target_health\":\"unhealthy\","
                + "\"target_health_reason\":\"Target.FailedHealthChecks\"}],\"conflicts\":[\"x\"]}",
                DescribeClusterCommand.json(st, "us-east-1").toString());
    }

    @Test
    void nullsStayInTheJson() {
        ClusterStatus st = new ClusterStatus("demo", null, null, null, null, null, null,
                List.of(new ClusterStatus.Member("demo-1", "i-1", null, null, "pending", "", "unused", "")), List.of());
        assertEquals("{\"member\":\"demo-1\",\"instance_id\":\"i-1\",\"availability_zone\":null,\"private_ip\":null,"
                + "\"state\":\"pending\",\"role\":\"\",\"target_health\":\"unused\",\"target_health_reason\":\"\"}",
                DescribeClusterCommand.json(st, "r").get("members").get(0).toString());
        assertEquals(null, DescribeClusterCommand.json(st, "r").get("security_group").textValue());
    }

    @Test
    void reportJson() {
        ProvisionReport r = new ProvisionReport("demo");
        r.put("instance", "demo-1", null, ProvisionReport.Status.MISSING, "subnet-1");
        assertEquals("{\"cluster\":\"demo\",\"region\":\"r\",\"resources\":[{\"kind\":\"instance\",\"name\":\"demo-1\","
                + "\"id\":null,\"status\":\"missing\",\"detail\":\"subnet-1\"}]}", Output.json(r, "r").toString());
    }
}
