<?php
/** Admin navigation entry: opens the server-wide overview as the Plesk administrator. */
class IndexController extends pm_Controller_Action
{
    protected $_accessLevel = 'admin';

    public function indexAction()
    {
        $url = Modules_PassengerPanel_Launch::urlFor(Modules_PassengerPanel_Access::forAdmin());
        $this->redirect($url, ['prependBase' => false]);
    }
}
