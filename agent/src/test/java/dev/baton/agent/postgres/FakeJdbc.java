package dev.baton.agent.postgres;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A JDBC connection that talks to no server: it records the SQL it is given (with the
 * parameters of prepared statements appended as {@code [a, b]}) and answers queries with rows
 * scripted by the start of their SQL. A statement can be scripted to fail.
 */
final class FakeJdbc {
    private final List<String> log = new ArrayList<>();
    private final Map<String, List<List<Object>>> rows = new HashMap<>();
    private final Map<String, String> failures = new HashMap<>();
    private int connects;
    private int closes;

    /** Queries whose SQL starts with {@code sqlStart} return {@code result}. */
    FakeJdbc rows(String sqlStart, List<List<Object>> result) {
        rows.put(sqlStart, result);
        return this;
    }

    /** Statements whose SQL starts with {@code sqlStart} throw an SQLException with {@code message}. */
    FakeJdbc fail(String sqlStart, String message) {
        failures.put(sqlStart, message);
        return this;
    }

    List<String> log() {
        return List.copyOf(log);
    }

    int connects() {
        return connects;
    }

    int closes() {
        return closes;
    }

    PgQueries.Connector connector() {
        return () -> {
            connects++;
            return connection();
        };
    }

    private Connection connection() {
        boolean[] closed = {false};
        return proxy(Connection.class, (p, m, a) -> switch (m.getName()) {
            case "createStatement" -> statement(null);
            case "prepareStatement" -> statement((String) a[0]);
            case "setAutoCommit" -> {
                log.add("autocommit " + a[0]);
                yield null;
            }
            case "commit", "rollback" -> {
                log.add(m.getName());
                yield null;
            }
            case "isClosed" -> closed[0];
            case "close" -> {
                closed[0] = true;
                closes++;
                yield null;
            }
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    private Object statement(String prepared) {
        List<Object> params = new ArrayList<>();
        Class<? extends Statement> type = prepared == null ? Statement.class : PreparedStatement.class;
        return proxy(type, (p, m, a) -> switch (m.getName()) {
            case "setString" -> {
                params.add(a[1]);
                yield null;
            }
            case "execute" -> {
                run(a == null ? prepared : (String) a[0], params);
                yield true;
            }
            case "executeQuery" -> resultSet(run(a == null ? prepared : (String) a[0], params));
            case "close" -> null;
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    private List<List<Object>> run(String sql, List<Object> params) throws SQLException {
        log.add(params.isEmpty() ? sql : sql + " " + params);
        for (Map.Entry<String, String> f : failures.entrySet()) {
            if (sql.startsWith(f.getKey())) {
                throw new SQLException(f.getValue());
            }
        }
        for (Map.Entry<String, List<List<Object>>> r : rows.entrySet()) {
            if (sql.startsWith(r.getKey())) {
                return r.getValue();
            }
        }
        return List.of();
    }

    private static ResultSet resultSet(List<List<Object>> rows) {
        int[] at = {-1};
        Object[] last = {null};
        return proxy(ResultSet.class, (p, m, a) -> {
            if (m.getName().equals("next")) {
                return ++at[0] < rows.size();
            }
            if (m.getName().equals("close")) {
                return null;
            }
            if (m.getName().equals("wasNull")) {
                return last[0] == null;
            }
            Object v = rows.get(at[0]).get((Integer) a[0] - 1);
            last[0] = v;
            return switch (m.getName()) {
                case "getString" -> v == null ? null : v.toString();
                case "getInt" -> v == null ? 0 : ((Number) v).intValue();
                case "getBoolean" -> v != null && (Boolean) v;
                case "getDouble" -> v == null ? 0.0 : ((Number) v).doubleValue();
                case "getBytes" -> (byte[]) v;
                default -> throw new UnsupportedOperationException(m.getName());
            };
        });
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, InvocationHandler h) {
        return (T) Proxy.newProxyInstance(FakeJdbc.class.getClassLoader(), new Class<?>[]{type}, h);
    }
}
