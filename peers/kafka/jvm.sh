# The JVM command line start.sh and serve.sh run Apache Kafka's classes with (sourced; needs
# $here and $libs).
jvm=(java -Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$libs/*")
