"""区级工作台 (district dashboard): work queues per role and the year's totals by program and state."""
