"""Maven (JUnit through Surefire): its sandboxed run (``runner``) and the JVM runners' report
shape in a failed log (``log``: Surefire, Failsafe, Gradle, the JUnit console launcher)."""
