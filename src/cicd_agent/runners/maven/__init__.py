"""Maven (JUnit through Surefire), and the report shape of the JVM runners' failed logs."""
