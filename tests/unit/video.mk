UNIT_TESTS += video
unit_video_SRCS := loader/video.c
