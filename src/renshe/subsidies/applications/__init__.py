"""Applications (补贴申请): the state machine, approval with budget reservation, public notice."""
