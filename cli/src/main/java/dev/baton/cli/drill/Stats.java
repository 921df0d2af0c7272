package dev.baton.cli.drill;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Median, 95th percentile and maximum of one figure over the iterations (values that do not
 * apply are left out, and n counts the others).
 *
 * @param median the middle value (the mean of the two middle ones for an even n)
 * @param p95    the nearest-rank 95th percentile: the ceil(0.95 n)-th smallest value
 */
public record Stats(int n, Double median, Double p95, Double max, Double min, Double mean) {

    public static Stats of(Collection<? extends Number> values) {
        List<Double> v = new ArrayList<>();
        for (Number x : values) {
            if (x != null) {
                v.add(x.doubleValue());
            }
        }
        if (v.isEmpty()) {
            return new Stats(0, null, null, null, null, null);
        }
        v.sort(Double::compare);
        int n = v.size();
        double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
        double p95 = v.get(Math.max(0, (int) Math.ceil(0.95 * n) - 1));
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return new Stats(n, round(median), round(p95), round(v.get(n - 1)), round(v.get(0)), round(sum / n));
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
