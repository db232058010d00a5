"""今日の仕事: the follow-up tasks due today, ready to act on."""
