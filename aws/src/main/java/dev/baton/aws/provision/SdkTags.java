package dev.baton.aws.provision;

import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** {@link Names}' tags in the two SDK shapes: EC2 tag specifications and ELBv2 tags. */
final class SdkTags {
    private SdkTags() {
    }

    /** The tags of one EC2 resource type, to put on it as it is created. */
    static TagSpecification ec2(ResourceType type, Map<String, String> tags) {
        return TagSpecification.builder().resourceType(type).tags(tags.entrySet().stream()
                .map(e -> software.amazon.awssdk.services.ec2.model.Tag.builder().key(e.getKey()).value(e.getValue())
                        .build()).toList()).build();
    }

    /** The cluster's resource tags for an ELBv2 target group, load balancer or listener. */
    static List<software.amazon.awssdk.services.elasticloadbalancingv2.model.Tag> elb(String cluster) {
        return Names.resourceTags(cluster).entrySet().stream()
                .map(e -> software.amazon.awssdk.services.elasticloadbalancingv2.model.Tag.builder().key(e.getKey())
                        .value(e.getValue()).build()).toList();
    }
}
