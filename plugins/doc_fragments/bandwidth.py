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
    type: dict
    suboptions:
      default:
        description: The limit in Mbit/s outside every entry; null or omitted for none.
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
            description: The limit in Mbit/s during the period.
            type: float
            required: true
"""
