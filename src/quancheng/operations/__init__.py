"""City operations: NGSI-LD entities, telemetry, alarms, commands and lighting schedules."""
