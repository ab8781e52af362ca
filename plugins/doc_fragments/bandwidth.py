# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The bandwidth limit of the share sync modules (module_utils/shares/rate.py)."""

    DOCUMENTATION = r"""
options:
  bandwidth_schedule:
    description:
      - How much of the Kommune's link the pass may take, by weekday and time of day in Europe/Berlin; the
        plan's C(transfer) as the inventory hands it on (C(umzug_kommune.transfer.schedule)). Omitted or null means
        no limit, and then nothing goes through the limiter.
      - The limit in force is looked up again every second, so a pass that runs across a boundary changes
        its pace there. The limit counts the bytes read from the Kommune (the tar stream over SSH, the reads
        over SMB), before the target writes them.
      - A limit of V(0) means no transfer then (e.g. the Kommune's office hours for a seed that may only run at
        night). A pass running when such a period begins stops at a clean point (what was written whole stays
        and is in the state, the file being written is dropped, the state is saved) and returns
        without failing, with RV(complete=false) and RV(stopped) (why, and when transfer is next allowed).
        A pass started while the limit is V(0) copies nothing. The next pass continues where it stopped.
    type: dict
    suboptions:
      default:
        description: The limit in Mbit/s outside every entry (V(0) for no transfer then); null or omitted for none.
        type: float
      entries:
        description: The periods with a limit of their own; an entry covers its start up to, not
          including, its end on each of its days.
        type: list
        elements: dict
        default: []
        suboptions:
          days:
            description: Weekdays, V(mon) to V(sun), or ranges of them such as V(mon-fri).
            type: list
            elements: str
            required: true
          start:
            description: Start of the period, C(HH:MM) (or C(HH:MM:SS)).
            type: str
            required: true
          end:
            description: End of the period, C(HH:MM) up to C(24:00); after O(bandwidth_schedule.entries[].start).
            type: str
            required: true
          limit:
            description: The limit in Mbit/s during the period; V(0) for no transfer then.
            type: float
            required: true
  until:
    description:
      - The end time of this pass, after which it moves no more content, as a limit of V(0) would stop it
        (C(stopped.reason) V(until)). C(HH:MM) is the next such time in Europe/Berlin after the pass starts;
        or a date and time C(YYYY-MM-DDTHH:MM) (Europe/Berlin unless an offset such as C(+00:00) follows).
      - Omitted, the pass runs until it is done (or the schedule stops it).
    type: str
"""
