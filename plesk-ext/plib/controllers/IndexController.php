<?php
/** Admin navigation entry: opens the server-wide overview as the Plesk administrator. */
class IndexController extends pm_Controller_Action
{
    protected $_accessLevel = 'admin';

    public function indexAction()
    {
        // The same posted form as the domain button (views/scripts/index/index.phtml).
        $this->view->pageTitle = 'Passenger Panel';
        $this->view->launch = Modules_PassengerPanel_Launch::forClaims(Modules_PassengerPanel_Access::forAdmin());
    }
}
