package paychan.interop;

import org.bitcoinj.core.VersionMessage;

/** Prints the version of the bitcoinj found on the class path (read at run time, not inlined at compile time). */
public final class Version {
    public static void main(String[] args) throws Exception {
        System.out.println(VersionMessage.class.getField("BITCOINJ_VERSION").get(null));
    }
}
