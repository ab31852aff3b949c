# The JVM command line start.sh and serve.sh run Apache Kafka's classes with (sourced; needs
# $here and $libs). KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS replace the heap and JIT/GC
# options as they do for Kafka's own scripts; the defaults favour a fast start for tests.
read -r -a heap <<< "${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
read -r -a performance <<< "${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
jvm=(java "${heap[@]}" "${performance[@]}" -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$libs/*")
