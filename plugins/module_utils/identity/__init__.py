# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identities of a Kommune: the mapping of old to new accounts (``mapping``), naming (``naming``) and SIDs (``sid``)."""
